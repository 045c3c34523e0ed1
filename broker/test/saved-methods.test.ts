/**
 * Saved payment methods (`hitpay-save`) end to end: a 402 from core's protectSavedMethod, the setup
 * at the embedded broker, the wallet approval in the sandbox, the grant, and charges under its caps,
 * including declines, lost HitPay answers and refunds.
 */
import { randomBytes } from 'node:crypto';
import { merchantIdFor, requestHash } from '@hit-pay/mpp';
import { type Challenge, parseReceipt } from '@hit-pay/mpp/protocol';
import { verifyReceipt } from '@hit-pay/mpp/receipts';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  backends,
  challengeOf,
  credential,
  dropSchema,
  eventually,
  receiptJws,
  startWorld,
  type World,
} from './support.js';

const CHARGE_CALLS = 'POST /v1/charge/recurring-billing/{id}';

describe.each(backends('saved'))('saved methods on $name', (backend: Backend) => {
  let w: World;
  let merchantId: string;
  beforeAll(async () => {
    w = await startWorld(backend, { apiKey: `test_saved_${backend.name}` });
    merchantId = merchantIdFor(w.apiKey);
  });
  afterAll(async () => {
    await w?.close();
    await dropSchema(backend);
  });

  const calls = () => w.sandbox.stats.calls[CHARGE_CALLS] ?? 0;
  const nonce = () => randomBytes(16).toString('base64url');

  async function method(id: string) {
    const { rows } = await w.broker.database.query<Record<string, any>>(
      'SELECT * FROM saved_methods WHERE id = $1',
      [id],
    );
    return rows[0]!;
  }

  /** setup → approve in the wallet → webhook → poll with the token → the grant. */
  async function activeGrant(path = '/saved/setup') {
    const res = await fetch(`${w.api.url}${path}`);
    expect(res.status).toBe(402);
    const challenge = challengeOf(res, 'hitpay-save');
    const body = await res.json();
    const details = body.challenges.find((c: any) => c.method === 'hitpay-save');
    const options = await (await fetch(details.options_url)).json();
    expect(options).toEqual({ currency: 'sgd', rails: ['grabpay_direct', 'shopee_pay'] });
    const setupRes = await fetch(details.setup_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge, payment_method: 'grabpay_direct' }),
    });
    expect(setupRes.status).toBe(201);
    const setup = await setupRes.json();
    expect(setup).toMatchObject({ status: 'pending', saved_method_id: expect.stringMatching(/^spm_/) });
    expect(setup.setup_token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const row = await method(setup.saved_method_id);
    expect(row.setup_token_hash).not.toContain(setup.setup_token);
    w.sandbox.approve(row.recurring_billing_id);
    await w.sandbox.webhooksIdle();
    // Through the API's mount (core forwards Authorization), and straight at the broker.
    const viaApi = await (
      await fetch(setup.polling_url, { headers: { authorization: `Bearer ${setup.setup_token}` } })
    ).json();
    const direct = await w.broker.fetch(
      new Request(setup.polling_url, { headers: { 'x-setup-token': setup.setup_token } }),
    );
    const view = await direct.json();
    expect(viaApi).toEqual(view);
    expect(view).toMatchObject({ status: 'active', rail: 'grabpay_direct', remaining: '5000' });
    return { challenge, grant: view.saved_method_jws as string, id: setup.saved_method_id as string, setup };
  }

  function pay(path: string, challenge: Challenge, grant: string, n = nonce()) {
    const hash = requestHash({ method: 'GET', target: path });
    return fetch(`${w.api.url}${path}`, {
      headers: { authorization: credential(challenge, { grant, nonce: n, request_hash: hash }) },
    });
  }

  const direct = (g: { grant: string; id: string }, amount: string, extra: Record<string, string> = {}) =>
    w.broker.chargeSavedMethod({
      merchantId,
      grant: g.grant,
      savedMethodId: g.id,
      nonce: nonce(),
      amount,
      currency: 'sgd',
      requestHash: 'h'.repeat(43),
      challengeId: 'c'.repeat(43),
      realm: new URL(w.api.url).hostname,
      ...extra,
    });

  it('setup → approve → webhook → poll: the grant carries the draft’s claims; a wrong token is refused', async () => {
    const g = await activeGrant();
    expect(decodeProtectedHeader(g.grant)).toMatchObject({ alg: 'EdDSA', typ: 'mpp-spm+jwt' });
    const claims = decodeJwt(g.grant);
    expect(claims).toMatchObject({
      iss: w.broker.issuer,
      sub: g.id,
      merchant: merchantId,
      realm: new URL(w.api.url).hostname,
      rail: 'grabpay_direct',
      currency: 'sgd',
      maxAmountPerCharge: '500',
      totalAmountCap: '5000',
    });
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(30 * 86_400);
    const wrong = await w.broker.fetch(
      new Request(g.setup.polling_url, { headers: { 'x-setup-token': 'nope' } }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('mpp-spm');
  });

  it('ten charges within the caps make ten HitPay charges, each with a receipt', async () => {
    const g = await activeGrant();
    const before = calls();
    const jwks = await (await fetch(`${w.api.url}/.well-known/jwks.json`)).json();
    for (let i = 0; i < 10; i++) {
      const res = await pay(`/saved/item/${i}`, g.challenge, g.grant);
      expect(res.status).toBe(200);
      const receipt = parseReceipt(res.headers.get('payment-receipt')!) as unknown as Record<string, string>;
      expect(receipt.remaining).toBe(String(5000 - 50 * (i + 1)));
      const claims = await verifyReceipt(receiptJws(res), jwks);
      expect(claims).toMatchObject({
        method: 'hitpay-save',
        amount: '50',
        grantId: g.id,
        remaining: receipt.remaining,
      });
      expect(claims.requestHash).toBe(requestHash({ method: 'GET', target: `/saved/item/${i}` }));
    }
    expect(calls() - before).toBe(10);
    expect(await method(g.id)).toMatchObject({ used_amount: '500', use_count: 10 });
  });

  it('caps: over the per-charge cap is refused before HitPay; the total cap is reached exactly, never exceeded', async () => {
    const g = await activeGrant();
    const before = calls();
    await expect(direct(g, '501')).rejects.toMatchObject({ code: 'grant-exhausted' });
    expect(calls()).toBe(before);
    for (const amount of ['500', '500', '500', '500', '500', '500', '500', '500', '500', '450', '50'])
      await direct(g, amount);
    expect((await method(g.id)).used_amount).toBe('5000');
    await expect(direct(g, '1')).rejects.toMatchObject({ code: 'grant-exhausted' });
    expect(calls() - before).toBe(11);
  });

  it('expired, tampered, foreign-merchant and replayed credentials are refused before HitPay', async () => {
    const g = await activeGrant();
    const before = calls();
    const [h, p, sig] = g.grant.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(g.grant), totalAmountCap: '999999' })).toString(
      'base64url',
    );
    await expect(direct({ ...g, grant: `${h}.${forged}.${sig}` }, '50')).rejects.toMatchObject({
      code: 'grant-invalid',
    });
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    await expect(direct({ ...g, grant: `${h}.${p}.${flipped}` }, '50')).rejects.toMatchObject({
      code: 'grant-invalid',
    });
    const other = await w.broker.registerMerchant({
      apiKey: 'test_someone_else',
      challengeSecrets: ['another-merchant-secret-another-merchant'],
      hitpayBaseUrl: w.sandbox.url,
    });
    await expect(direct(g, '50', { merchantId: other.merchantId } as never)).rejects.toMatchObject({
      code: 'grant-invalid',
    });
    await expect(direct(g, '50', { realm: 'evil.example' })).rejects.toMatchObject({ code: 'grant-invalid' });
    await expect(direct(g, '50', { currency: 'myr' })).rejects.toMatchObject({ code: 'grant-invalid' });
    const n = nonce();
    await direct(g, '50', { nonce: n });
    await expect(direct(g, '50', { nonce: n })).rejects.toMatchObject({ code: 'invalid-challenge' });
    const replay = await pay('/saved/replay', g.challenge, g.grant, n);
    expect(replay.status).toBe(402);
    expect((await replay.json()).type).toBe('https://paymentauth.org/problems/invalid-challenge');
    try {
      w.clock.advance(31 * 86_400_000);
      await expect(direct(g, '50')).rejects.toMatchObject({ code: 'grant-invalid' });
    } finally {
      w.clock.reset();
    }
    expect(calls() - before).toBe(1);
    expect((await method(g.id)).used_amount).toBe('50');
  });

  it('a failed handler refunds the charge and restores the cap, once', async () => {
    const g = await activeGrant();
    const refunds = w.sandbox.stats.created.refunds;
    const res = await pay('/saved-failing/1', g.challenge, g.grant);
    expect(res.status).toBe(503);
    await eventually(async () => (await method(g.id)).used_amount === '0');
    expect(w.sandbox.stats.created.refunds - refunds).toBe(1);
    const { rows } = await w.broker.database.query<{ id: string; status: string }>(
      'SELECT id, status FROM saved_charges WHERE saved_method_id = $1',
      [g.id],
    );
    expect(rows).toEqual([{ id: expect.any(String), status: 'refunded' }]);
    await w.broker.refundSavedCharge(merchantId, rows[0]!.id);
    expect(w.sandbox.stats.created.refunds - refunds).toBe(1);
    expect((await method(g.id)).use_count).toBe(0);
  });

  it('a declined charge (insufficient funds, 200 or 422) undoes its reservation', async () => {
    const g = await activeGrant();
    for (const fault of ['insufficient-funds', 'insufficient-funds=422']) {
      w.sandbox.addFault({ method: 'POST', path: '/v1/charge/recurring-billing/*', fault, count: 1 });
      const res = await pay('/saved/declined', g.challenge, g.grant);
      expect(res.status).toBe(402);
      expect((await res.json()).type).toBe('https://paymentauth.org/problems/verification-failed');
      expect(await method(g.id)).toMatchObject({ used_amount: '0', use_count: 0 });
    }
    expect((await pay('/saved/after-decline', g.challenge, g.grant)).status).toBe(200);
  });

  it('a lost HitPay answer keeps the reservation, is never retried, and the reconciler resolves it', async () => {
    const g = await activeGrant();
    const refunds = w.sandbox.stats.created.refunds;
    // 503 before doing anything: the charge did not happen.
    w.sandbox.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'error=503',
      count: 1,
    });
    let before = calls();
    let res = await pay('/saved/lost-1', g.challenge, g.grant);
    expect(res.status).toBe(503);
    expect((await res.json()).type).toBe('https://mpp.hitpay.dev/problems/service-unavailable');
    expect(calls() - before).toBe(1);
    expect(await method(g.id)).toMatchObject({ used_amount: '50', use_count: 1 });
    let report = await w.broker.reconcile();
    expect(report.savedResolved).toBe(1);
    expect(await method(g.id)).toMatchObject({ used_amount: '0', use_count: 0 });

    // 500 after doing the work: the wallet was charged; the payer got no resource, so it is refunded.
    w.sandbox.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'error-after=500',
      count: 1,
    });
    before = calls();
    res = await pay('/saved/lost-2', g.challenge, g.grant);
    expect(res.status).toBe(503);
    expect(calls() - before).toBe(1);
    await w.sandbox.webhooksIdle(); // charge.created names the payment
    expect(await method(g.id)).toMatchObject({ used_amount: '50' });
    report = await w.broker.reconcile();
    expect(report.savedResolved).toBe(1);
    expect(w.sandbox.stats.created.refunds - refunds).toBe(1);
    expect(await method(g.id)).toMatchObject({ used_amount: '0', use_count: 0 });
    expect((await w.broker.reconcile()).savedResolved).toBe(0);
  });

  it('a charge.created two in-flight charges could own is kept, not guessed; the reconciler gives it to the lost one', async () => {
    const g = await activeGrant();
    const refunds = w.sandbox.stats.created.refunds;
    // A: charged, but the answer is lost (500) and its charge.created comes late (300 ms).
    w.sandbox.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'error-after=500, webhook-delay=300',
      count: 1,
    });
    const a = await pay('/saved/race-a', g.challenge, g.grant);
    expect(a.status).toBe(503);
    // B: charged at once (its charge.created leaves at once), answered 1 s later. Both webhooks
    // arrive while A is unknown and B reserved: either could own them by wallet and amount.
    w.sandbox.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'latency-after=1000',
      count: 1,
    });
    const b = await pay('/saved/race-b', g.challenge, g.grant);
    expect(b.status).toBe(200);
    await w.sandbox.webhooksIdle();
    const charges = async () =>
      (
        await w.broker.database.query<{ status: string; payment_id: string | null }>(
          'SELECT status, payment_id FROM saved_charges WHERE saved_method_id = $1 ORDER BY created_at',
          [g.id],
        )
      ).rows;
    const [ra, rb] = await charges();
    expect(ra).toMatchObject({ status: 'unknown', payment_id: null });
    expect(rb).toMatchObject({ status: 'paid', payment_id: expect.any(String) });
    // A's payment was seen but given to no one.
    const seen = await w.broker.database.query<{ payment_id: string }>(
      `SELECT payment_id FROM saved_payments p WHERE recurring_billing_id = $1
         AND NOT EXISTS (SELECT 1 FROM saved_charges k WHERE k.payment_id = p.payment_id)`,
      [(await method(g.id)).recurring_billing_id],
    );
    expect(seen.rows).toHaveLength(1);
    const report = await w.broker.reconcile();
    expect(report.savedResolved).toBe(1);
    expect(w.sandbox.stats.created.refunds - refunds).toBe(1);
    const [after] = await charges();
    expect(after).toMatchObject({ status: 'refunded', payment_id: seen.rows[0]!.payment_id });
    expect(await method(g.id)).toMatchObject({ used_amount: '50', use_count: 1 });
  });

  it('a wallet detached at HitPay ends the grant', async () => {
    const g = await activeGrant();
    const rb = (await method(g.id)).recurring_billing_id;
    const del = await fetch(`${w.sandbox.url}/v1/recurring-billing/${rb}`, {
      method: 'DELETE',
      headers: { 'x-business-api-key': w.apiKey },
    });
    expect(del.status).toBe(200);
    await w.sandbox.webhooksIdle();
    expect((await method(g.id)).status).toBe('detached');
    await expect(direct(g, '50')).rejects.toMatchObject({ code: 'grant-invalid' });
  });
});

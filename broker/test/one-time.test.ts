/**
 * One-time charges (`hitpay`) end to end: core's createMpp issues real 402s, the agent opens the
 * checkout at the embedded broker, the sandbox takes the payment and sends signed webhooks, the
 * retry redeems once and carries a receipt that verifies against the JWKS.
 */
import { merchantIdFor } from '@hit-pay/mpp';
import { parseReceipt } from '@hit-pay/mpp/protocol';
import { verifyReceipt } from '@hit-pay/mpp/receipts';
import { startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  backends,
  challengeOf,
  count,
  credential,
  dropSchema,
  eventually,
  receiptJws,
  startWorld,
  type World,
} from './support.js';

describe.each(backends('onetime'))('one-time charges on $name', (backend: Backend) => {
  let w: World;
  beforeAll(async () => {
    const sandbox = await startSandbox({ webhookRetryDelaysMs: [50, 100] });
    w = await startWorld(backend, { apiKey: `test_onetime_${backend.name}`, sandbox });
  });
  afterAll(async () => {
    await w?.close();
    await w?.sandbox.close();
    await dropSchema(backend);
  });

  const tables = ['charges', 'saved_methods', 'saved_charges', 'rate_limits', 'webhook_events'];
  const rows = async () => Promise.all(tables.map((t) => count(w.broker, t)));

  async function challenge(path = '/forecast/94103') {
    const res = await fetch(`${w.api.url}${path}`);
    expect(res.status).toBe(402);
    return { res, challenge: challengeOf(res, 'hitpay'), body: (await res.json()) as Record<string, any> };
  }

  async function openCheckout(checkoutUrl: string) {
    const res = await fetch(checkoutUrl, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, any>;
  }

  it('issuing a 402 makes no HitPay call and writes nothing', async () => {
    await challenge(); // the broker exists and the merchant is registered from here on
    const before = await rows();
    const calls = w.sandbox.stats.requests;
    for (let i = 0; i < 5; i++) await challenge(`/forecast/${i}`);
    expect(w.sandbox.stats.requests).toBe(calls);
    expect(await rows()).toEqual(before);
  });

  it('pay → webhook → poll paid → redeem → commit, with a receipt that verifies against the JWKS', async () => {
    const { challenge: c, body } = await challenge();
    const checkout = body.challenges?.[0]?.checkout_url ?? body.checkout_url;
    const view = await openCheckout(checkout ?? `${w.api.url}/mpp/v1/checkout/x`);
    expect(view).toMatchObject({ id: c.id, status: 'pending', amount: '100', currency: 'sgd' });
    expect(view.qr_code).toMatch(/^000201/);
    w.sandbox.pay(view.payment_request_id);
    await w.sandbox.webhooksIdle();
    const polled = await (await fetch(view.polling_url)).json();
    expect(polled.status).toBe('paid');

    const res = await fetch(`${w.api.url}/forecast/94103`, {
      headers: { authorization: credential(c, { payment_request_id: view.payment_request_id }) },
    });
    expect(res.status).toBe(200);
    const jwks = await (await fetch(`${w.api.url}/.well-known/jwks.json`)).json();
    const claims = await verifyReceipt(receiptJws(res), jwks, { issuer: w.broker.issuer, audience: c.realm });
    const receipt = parseReceipt(res.headers.get('payment-receipt')!);
    expect(claims).toMatchObject({
      status: 'success',
      method: 'hitpay',
      challengeId: c.id,
      amount: '100',
      currency: 'sgd',
      reference: receipt.reference,
    });
    await eventually(async () => (await (await fetch(view.polling_url)).json()).status === 'redeemed');
  });

  /** A 402 on a fresh path, its checkout opened: the charge is pending with a payment request. */
  async function pending(path = `/forecast/${Math.random().toString(36).slice(2)}`) {
    const { challenge: c, body } = await challenge(path);
    const view = await openCheckout(body.challenges[0].checkout_url);
    return { c, view, path };
  }

  async function status(id: string): Promise<string> {
    const { rows } = await w.broker.database.query<{ status: string }>(
      'SELECT status FROM charges WHERE id = $1',
      [id],
    );
    return rows[0]!.status;
  }

  const paidRetry = (path: string, c: any, prId: string) =>
    fetch(`${w.api.url}${path}`, { headers: { authorization: credential(c, { payment_request_id: prId }) } });

  it('opening the checkout twice, and ten times at once, creates one payment request', async () => {
    const { challenge: c, body } = await challenge('/forecast/once');
    const before = w.sandbox.stats.created.paymentRequests;
    const first = await openCheckout(body.challenges[0].checkout_url);
    const again = await openCheckout(body.challenges[0].checkout_url);
    expect(again.payment_request_id).toBe(first.payment_request_id);
    expect(w.sandbox.stats.created.paymentRequests - before).toBe(1);

    const { body: body2 } = await challenge('/forecast/concurrent');
    const before2 = w.sandbox.stats.created.paymentRequests;
    const views = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? openCheckout(body2.challenges[0].checkout_url)
          : fetch(`${w.api.url}/mpp/v1/charges`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ challenge: challengeFromToken(body2.challenges[0].checkout_url) }),
            }).then((r) => r.json() as Promise<Record<string, any>>),
      ),
    );
    expect(new Set(views.map((v) => v.payment_request_id)).size).toBe(1);
    expect(w.sandbox.stats.created.paymentRequests - before2).toBe(1);
    expect(c.id).not.toBe(views[0]!.id);
  });

  it('a browser is sent to HitPay, and comes back to the return URL or a status page', async () => {
    const { challenge: c, body } = await challenge('/forecast/browser');
    const link = `${body.challenges[0].checkout_url}?return_url=${encodeURIComponent(`${w.api.url}/forecast/browser`)}`;
    const res = await fetch(link, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const view = (await (await fetch(`${w.api.url}/mpp/v1/charges/${c.id}`)).json()) as Record<string, any>;
    expect(res.headers.get('location')).toBe(view.checkout_url);
    w.sandbox.pay(view.payment_request_id, { fault: 'webhook=drop' });
    const back = await fetch(`${w.api.url}/mpp/v1/charges/${c.id}/return`, { redirect: 'manual' });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`${w.api.url}/forecast/browser`);
    expect(await status(c.id)).toBe('paid'); // the return asked HitPay at once

    const other = await pending();
    const page = await fetch(`${w.api.url}/mpp/v1/charges/${other.c.id}/return`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('SGD 1.00');
    const foreign = await fetch(`${w.api.url}/mpp/v1/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge: c, return_url: 'https://evil.example/steal' }),
    });
    expect(foreign.status).toBe(400);
  });

  it('redeeming before paying re-issues the same challenge with payment-action-required', async () => {
    const { c, view, path } = await pending();
    const res = await paidRetry(path, c, view.payment_request_id);
    expect(res.status).toBe(402);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).type).toBe('https://paymentauth.org/problems/payment-action-required');
    expect(challengeOf(res, 'hitpay').id).toBe(c.id);
    expect(await status(c.id)).toBe('pending');
  });

  it('a charge delivers once: a second redeem is refused; a failed handler releases it for a retry', async () => {
    const { c, view, path } = await pending();
    w.sandbox.pay(view.payment_request_id);
    await w.sandbox.webhooksIdle();
    expect((await paidRetry(path, c, view.payment_request_id)).status).toBe(200);
    await eventually(async () => (await status(c.id)) === 'redeemed');
    const again = await paidRetry(path, c, view.payment_request_id);
    expect(again.status).toBe(402);
    expect((await again.json()).type).toBe('https://paymentauth.org/problems/invalid-challenge');

    const f = await pending('/failing/1');
    w.sandbox.pay(f.view.payment_request_id);
    await w.sandbox.webhooksIdle();
    expect((await paidRetry('/failing/1', f.c, f.view.payment_request_id)).status).toBe(500);
    await eventually(async () => (await status(f.c.id)) === 'paid');
  });

  it('refuses amount, currency, request or payment-request mismatches, and releases back to paid', async () => {
    const { c, view } = await pending();
    w.sandbox.pay(view.payment_request_id);
    await w.sandbox.webhooksIdle();
    const merchantId = merchantIdFor(w.apiKey);
    const rh = JSON.parse(Buffer.from(c.opaque!, 'base64url').toString()).rh as string;
    const input = {
      merchantId,
      chargeId: c.id,
      challenge: c as never,
      amount: '100',
      currency: 'sgd',
      requestHash: rh,
      paymentRequestId: view.payment_request_id,
      leaseMs: 60_000,
    };
    for (const bad of [
      { amount: '99' },
      { currency: 'myr' },
      { requestHash: 'x'.repeat(43) },
      { paymentRequestId: 'other' },
    ]) {
      await expect(w.broker.redeemCharge({ ...input, ...bad })).rejects.toMatchObject({
        code: 'verification-failed',
      });
    }
    const first = await w.broker.redeemCharge(input);
    await expect(w.broker.redeemCharge(input)).rejects.toMatchObject({ code: 'invalid-challenge' });
    await w.broker.releaseCharge(merchantId, c.id, first.leaseId);
    const second = await w.broker.redeemCharge(input);
    expect(second.paymentId).toBe(first.paymentId);
    await w.broker.commitCharge(merchantId, c.id, second.leaseId);
    await expect(w.broker.redeemCharge(input)).rejects.toMatchObject({ code: 'invalid-challenge' });
  });

  it('a redemption whose lease lapses returns to paid (reconciler); rotated keys keep old receipts valid', async () => {
    const { c, view } = await pending();
    w.sandbox.pay(view.payment_request_id);
    await w.sandbox.webhooksIdle();
    const merchantId = merchantIdFor(w.apiKey);
    const rh = JSON.parse(Buffer.from(c.opaque!, 'base64url').toString()).rh as string;
    const input = {
      merchantId,
      chargeId: c.id,
      challenge: c as never,
      amount: '100',
      currency: 'sgd',
      requestHash: rh,
      leaseMs: 1000,
    };
    const first = await w.broker.redeemCharge(input);
    expect(await status(c.id)).toBe('redeeming');
    try {
      w.clock.advance(2000);
      expect((await w.broker.reconcile()).leasesReturned).toBe(1);
      expect(await status(c.id)).toBe('paid');
      const oldKid = (await w.broker.jwks()).keys[0]!.kid;
      const { kid } = await w.broker.rotateKeys();
      const second = await w.broker.redeemCharge(input);
      const jwks = await w.broker.jwks();
      expect(jwks.keys.map((k) => k.kid)).toEqual([kid, oldKid]);
      await verifyReceipt(first.receiptJws, jwks as never);
      expect((await verifyReceipt(second.receiptJws, jwks as never)).reference).toBe(first.paymentId);
      // The lapsed first holder cannot settle the second redemption; the second one can.
      await w.broker.commitCharge(merchantId, c.id, first.leaseId);
      expect(await status(c.id)).toBe('redeeming');
      await w.broker.commitCharge(merchantId, c.id, second.leaseId);
      expect(await status(c.id)).toBe('redeemed');
    } finally {
      w.clock.reset();
    }
  });

  it('a dropped webhook is recovered by polling, and by the reconciler; status lag counts as paid', async () => {
    const polled = await pending();
    w.sandbox.pay(polled.view.payment_request_id, { fault: 'webhook=drop' });
    expect((await (await fetch(polled.view.polling_url)).json()).status).toBe('paid');

    const reconciled = await pending();
    w.sandbox.pay(reconciled.view.payment_request_id, { fault: 'webhook=drop' });
    expect(await status(reconciled.c.id)).toBe('pending');
    const report = await w.broker.reconcile();
    expect(report.recovered).toBeGreaterThanOrEqual(1);
    expect(await status(reconciled.c.id)).toBe('paid');

    const lagging = await pending();
    w.sandbox.pay(lagging.view.payment_request_id, { fault: 'webhook=drop,status-lag' });
    const pr = await (
      await fetch(`${w.sandbox.url}/v1/payment-requests/${lagging.view.payment_request_id}`, {
        headers: { 'x-business-api-key': w.apiKey },
      })
    ).json();
    expect(pr.status).toBe('pending'); // HitPay's top-level status lags…
    expect((await (await fetch(lagging.view.polling_url)).json()).status).toBe('paid'); // …the payment counts
    expect((await paidRetry(lagging.path, lagging.c, lagging.view.payment_request_id)).status).toBe(200);
  });

  it('v1 and v2 webhooks each mark the charge paid; duplicates and reordering are harmless', async () => {
    for (const fault of [
      'webhook=drop,webhook-only=v2',
      'webhook=drop,webhook-only=v1',
      'webhook=duplicate',
      'webhook=reorder',
    ]) {
      const p = await pending();
      w.sandbox.pay(p.view.payment_request_id, { fault });
      await w.sandbox.webhooksIdle();
      expect({ fault, status: await status(p.c.id) }).toEqual({ fault, status: 'paid' });
      expect((await paidRetry(p.path, p.c, p.view.payment_request_id)).status).toBe(200);
    }
    const failures = w.sandbox
      .webhookDeliveries()
      .filter((d) => d.state !== 'delivered' && d.state !== 'dropped');
    expect(failures).toEqual([]);
  });

  it('expiry: unpaid charges expire and their payment request is cancelled; unredeemed ones are refunded', async () => {
    const unpaid = await pending();
    const paid = await pending();
    w.sandbox.pay(paid.view.payment_request_id);
    const retried = await pending();
    w.sandbox.pay(retried.view.payment_request_id);
    await w.sandbox.webhooksIdle();
    const refundsBefore = w.sandbox.stats.created.refunds;
    const deletesBefore = w.sandbox.stats.calls['DELETE /v1/payment-requests/{id}'] ?? 0;
    try {
      w.clock.advance(16 * 60_000); // past the challenges' 15 minutes
      const first = await w.broker.reconcile();
      expect(first.expired).toBeGreaterThanOrEqual(1);
      expect(await status(unpaid.c.id)).toBe('expired');
      expect(await status(paid.c.id)).toBe('paid'); // still within the grace
      expect(
        (w.sandbox.stats.calls['DELETE /v1/payment-requests/{id}'] ?? 0) - deletesBefore,
      ).toBeGreaterThanOrEqual(1);

      // One refund fails at HitPay (nothing happens there); the reconciler retries it later.
      const refunded = () => count(w.broker, 'charges', "status = 'refunded'");
      const refundedBefore = await refunded();
      w.sandbox.addFault({ method: 'POST', path: '/v1/refund', fault: 'error=503', count: 1 });
      w.clock.advance(10 * 60_000); // past the grace
      await w.broker.reconcile();
      expect(await count(w.broker, 'charges', "status = 'refunding'")).toBe(1);
      expect(w.sandbox.stats.created.refunds - refundsBefore).toBe((await refunded()) - refundedBefore);
      w.clock.advance(61_000);
      await w.broker.reconcile();
      expect(await count(w.broker, 'charges', "status IN ('refunding', 'paid', 'redeeming')")).toBe(0);
      expect([await status(paid.c.id), await status(retried.c.id)]).toEqual(['refunded', 'refunded']);
      const total = w.sandbox.stats.created.refunds - refundsBefore;
      expect(total).toBe((await refunded()) - refundedBefore);
      const again = await w.broker.reconcile();
      expect(again.refunded).toBe(0); // idempotent
      expect(w.sandbox.stats.created.refunds - refundsBefore).toBe(total);
    } finally {
      w.clock.reset();
      w.sandbox.clearFaults();
    }
  });

  it('a payment that lands after the charge expired is refunded', async () => {
    const late = await pending();
    const refundsBefore = w.sandbox.stats.created.refunds;
    try {
      w.clock.advance(25 * 60_000);
      w.sandbox.pay(late.view.payment_request_id);
      await w.sandbox.webhooksIdle();
      expect(await status(late.c.id)).toBe('refunding');
      await w.broker.reconcile();
      expect(await status(late.c.id)).toBe('refunded');
      expect(w.sandbox.stats.created.refunds - refundsBefore).toBe(1);
    } finally {
      w.clock.reset();
    }
  });
});

/** The challenge inside a checkout link. */
function challengeFromToken(link: string): unknown {
  const token = new URL(link).pathname.split('/').pop()!;
  return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
}

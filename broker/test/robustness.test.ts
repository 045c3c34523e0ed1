/**
 * Hostile and broken input against a standalone broker (every endpoint on): each answer is a clear
 * problem+json 4xx, never a 5xx, a crash or a hang; forged webhooks are 401 and change nothing;
 * duplicated and out-of-order webhooks are harmless.
 */
import { merchantIdFor } from '@hit-pay/mpp';
import { type Sandbox, signV1, signV2, startSandbox } from '@hit-pay/mpp-sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../src/index.js';
import { boundHash, makeChallenge, SECRET, testClock } from './support.js';

const KEY = 'test_robust';
const CHALLENGE_SECRET = 'robust-challenge-secret-robust-challenge';
let sandbox: Sandbox;
let running: RunningBroker;
let base: string;
let webhookSalt: string;
const merchantId = merchantIdFor(KEY);

beforeAll(async () => {
  sandbox = await startSandbox({ webhookRetryDelaysMs: [50] });
  running = await startBroker({
    port: 0,
    database: 'memory://',
    secretKey: SECRET,
    reconcileIntervalMs: 0,
    pollIntervalMs: 60_000, // webhooks alone move charges here
    hitpayBaseUrls: [sandbox.url],
    hitpay: { retryBaseDelayMs: 5, timeoutMs: 3000 },
    now: testClock().now,
    rateLimits: { checkoutPerAddress: { limit: 3, windowMs: 60_000 } },
  });
  base = running.url;
  webhookSalt = sandbox.registerWebhookEndpoint(KEY, { url: `${base}/v1/webhook/hitpay` }).salt;
  const res = await fetch(`${base}/v1/merchants/self`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      webhook_salt: webhookSalt,
      api_salt: sandbox.business(KEY).salt,
      challenge_secrets: [CHALLENGE_SECRET],
      hitpay_base_url: sandbox.url,
    }),
  });
  expect(await res.json()).toEqual({ merchant_id: merchantId });
});
afterAll(async () => {
  await running?.close();
  await sandbox?.close();
});

const challenge = (extra: Partial<Parameters<typeof makeChallenge>[0]> = {}) =>
  makeChallenge({
    secret: CHALLENGE_SECRET,
    realm: 'api.robust.test',
    merchant: merchantId,
    broker: base,
    ...extra,
  });

async function expectProblem(res: Response, status: number, type?: string): Promise<Record<string, any>> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = JSON.parse(text);
  expect(body).toMatchObject({
    status,
    title: expect.any(String),
    type: expect.stringMatching(/^https:\/\//),
  });
  if (type) expect(body.type).toMatch(new RegExp(`/${type}$`));
  for (const secret of [KEY, webhookSalt, CHALLENGE_SECRET, SECRET]) expect(text).not.toContain(secret);
  return body;
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const auth = { authorization: `Bearer ${KEY}` };

describe('malformed input gets a clear 4xx', () => {
  const forged = () => ({ ...challenge(), id: 'A'.repeat(43) });
  // Inits are built lazily: the broker's URL exists only once beforeAll ran.
  const cases: [string, string, () => RequestInit, number, string?][] = [
    ['unknown path', '/nope', () => ({}), 404, 'not-found'],
    ['unknown charge', '/v1/charges/does-not-exist', () => ({}), 404, 'not-found'],
    ['bad charge id', '/v1/charges/%00%ff', () => ({}), 404],
    ['wrong method', '/v1/charges', () => ({ method: 'DELETE' }), 404],
    ['bad JSON', '/v1/charges', () => json('{"challenge": '), 400, 'bad-request'],
    [
      'not JSON content type',
      '/v1/charges',
      () => ({ method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }),
      400,
    ],
    ['wrong types', '/v1/charges', () => json({ challenge: 5 }), 400, 'bad-request'],
    ['challenge missing members', '/v1/charges', () => json({ challenge: { id: 'x' } }), 400, 'bad-request'],
    ['array body', '/v1/charges', () => json([1, 2]), 400],
    ['forged challenge', '/v1/charges', () => json({ challenge: forged() }), 400, 'invalid-challenge'],
    [
      'expired challenge',
      '/v1/charges',
      () => json({ challenge: challenge({ expiresInMs: -1000 }) }),
      400,
      'payment-expired',
    ],
    [
      'other method',
      '/v1/charges',
      () => json({ challenge: challenge({ method: 'hitpay-save' }) }),
      400,
      'invalid-challenge',
    ],
    [
      'unknown merchant',
      '/v1/charges',
      () => json({ challenge: challenge({ merchant: 'm_nobody' }) }),
      400,
      'invalid-challenge',
    ],
    ['checkout token garbage', '/v1/checkout/@@@', () => ({}), 404],
    [
      'checkout token not JSON',
      `/v1/checkout/${Buffer.from('hello').toString('base64url')}`,
      () => ({}),
      400,
    ],
    [
      'checkout token not a challenge',
      `/v1/checkout/${Buffer.from('[1]').toString('base64url')}`,
      () => ({}),
      400,
    ],
    ['options without currency', '/v1/saved-payment-methods/options', () => ({}), 400],
    ['setup without body', '/v1/saved-payment-methods', () => json({}), 400],
    [
      'setup with a hitpay challenge',
      '/v1/saved-payment-methods',
      () => json({ challenge: challenge(), payment_method: 'grabpay_direct' }),
      400,
    ],
    [
      'setup with a rail not offered',
      '/v1/saved-payment-methods',
      () => json({ challenge: challenge({ method: 'hitpay-save' }), payment_method: 'cash' }),
      400,
    ],
    [
      'unknown saved method',
      '/v1/saved-payment-methods/spm_nope',
      () => ({ headers: { 'x-setup-token': 'x' } }),
      404,
    ],
    ['qr without data', '/v1/qr.svg', () => ({}), 400],
    ['unsigned webhook', '/v1/webhook/hitpay', () => json({ event: 'x' }), 401, 'unauthorized'],
    [
      'webhook for an unknown merchant',
      '/v1/webhook/hitpay/m_nobody',
      () => json({}, { 'hitpay-signature': 'ab' }),
      404,
    ],
    [
      'merchant registration without a key',
      '/v1/merchants/self',
      () => ({ method: 'PUT' }),
      401,
      'unauthorized',
    ],
    [
      'merchant registration with a bad body',
      '/v1/merchants/self',
      () => ({ ...json({ challenge_secrets: 'x' }, auth), method: 'PUT' }),
      400,
    ],
    [
      'merchant registration for a host the broker may not call',
      '/v1/merchants/self',
      () => ({
        ...json({ challenge_secrets: ['s'], hitpay_base_url: 'http://169.254.169.254' }, auth),
        method: 'PUT',
      }),
      403,
      'forbidden',
    ],
    ['verify without a key', '/v1/charges/x/verify', () => json({}), 401, 'unauthorized'],
    [
      'verify for an unregistered key',
      '/v1/charges/x/verify',
      () => json({}, { authorization: 'Bearer test_unknown' }),
      401,
    ],
    ['verify with a bad body', '/v1/charges/x/verify', () => json({ amount: 1 }, auth), 400, 'bad-request'],
    ['commit of an unknown charge', '/v1/charges/x/commit', () => json({ lease_id: 'lease' }, auth), 404],
    ['commit without its lease id', '/v1/charges/x/commit', () => ({ method: 'POST', headers: auth }), 400],
    [
      'saved charge with a bad body',
      '/v1/saved-payment-methods/spm_x/charges',
      () => json({ grant: 1 }, auth),
      400,
    ],
    [
      'saved charge with a garbage grant',
      '/v1/saved-payment-methods/spm_x/charges',
      () =>
        json(
          {
            grant: 'a.b.c',
            nonce: 'n'.repeat(20),
            amount: '5',
            currency: 'sgd',
            request_hash: 'h',
            challenge_id: 'c',
            realm: 'r',
          },
          auth,
        ),
      400,
      'grant-invalid',
    ],
    [
      'refund of an unknown saved charge',
      '/v1/saved-charges/sc_x/refund',
      () => ({ method: 'POST', headers: auth }),
      404,
    ],
  ];
  it.each(cases)('%s', async (_name, path, init, status, type) => {
    await expectProblem(await fetch(`${base}${path}`, init()), status, type);
  });

  it('huge bodies are refused with 413 without being read to the end', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    await expectProblem(await fetch(`${base}/v1/charges`, json(big)), 413, 'payload-too-large');
    await expectProblem(
      await fetch(`${base}/v1/webhook/hitpay`, json(big, { 'hitpay-signature': 'a' })),
      413,
    );
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(64 * 1024));
        c.close();
      },
    });
    const chunked = await fetch(`${base}/v1/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(chunked, 413);
  });

  it('any path and body under /v1 answers below 500, and never 402 (it has no challenge to offer, R2)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT'),
        fc.constantFrom(
          'charges',
          'checkout',
          'saved-payment-methods',
          'saved-charges',
          'webhook/hitpay',
          'merchants',
        ),
        fc.array(fc.stringMatching(/^[A-Za-z0-9_~%.-]{0,30}$/), { maxLength: 3 }),
        fc.option(fc.string({ maxLength: 200 })),
        fc.boolean(),
        async (method, resource, segments, body, withAuth) => {
          const path = `/v1/${resource}${segments.map((s) => `/${s}`).join('')}`;
          const res = await fetch(`${base}${path}`, {
            method,
            headers: { 'content-type': 'application/json', ...(withAuth ? auth : {}) },
            body: method === 'GET' || body === null ? undefined : body,
          });
          await res.arrayBuffer();
          return res.status < 500 && res.status !== 402;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('checkout creation is rate-limited per client address', async () => {
    // Three creations allowed per minute from this address (the earlier cases created none).
    const statuses: number[] = [];
    const rows = async () =>
      Number(
        (await running.broker.database.query<{ n: number }>('SELECT count(*)::int AS n FROM charges'))
          .rows[0]!.n,
      );
    const before = await rows();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/v1/charges`, json({ challenge: challenge() }));
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await res.json()).retryAfter).toBeGreaterThan(0);
      } else await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await rows()) - before).toBe(3); // the refused open left nothing behind
  });
});

/** Opens a checkout through the broker's Fetch handler: no client address, so the per-address limit spent above does not apply. */
const openDirect = (c: unknown) =>
  running.broker
    .fetch(new Request(`${base}/v1/charges`, json({ challenge: c })))
    .then((r) => r.json() as Promise<Record<string, any>>);

describe('webhooks', () => {
  const status = async (id: string) => (await (await fetch(`${base}/v1/charges/${id}`)).json()).status;

  it('forged webhooks are 401 and change nothing; genuine ones apply once; a late "failed" does not undo "paid"', async () => {
    const c = challenge();
    const view = await openDirect(c);
    const pr = view.payment_request_id as string;
    const completed = JSON.stringify({
      id: pr,
      status: 'completed',
      amount: '1.00',
      currency: 'sgd',
      reference_number: c.id,
      payments: [{ id: 'pay-forged', status: 'succeeded', amount: '1.00', currency: 'sgd' }],
    });
    const v2 = (body: string, signature: string) =>
      fetch(`${base}/v1/webhook/hitpay`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'hitpay-signature': signature,
          'hitpay-event-object': 'payment_request',
          'hitpay-event-type': JSON.parse(body).status === 'failed' ? 'failed' : 'completed',
        },
        body,
      });
    await expectProblem(await v2(completed, signV2(completed, 'not-the-salt')), 401);
    await expectProblem(await v2(completed, ''), 401);
    const fields = {
      payment_id: 'pay-forged',
      payment_request_id: pr,
      amount: '1.00',
      currency: 'SGD',
      status: 'completed',
      reference_number: c.id,
      phone: '',
    };
    const v1 = (hmac: string) =>
      fetch(`${base}/v1/webhook/hitpay/${merchantId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, hmac }).toString(),
      });
    await expectProblem(await v1(signV1(fields, 'wrong-salt')), 401);
    await expectProblem(await v1(''), 401);
    expect(await status(c.id)).toBe('pending');

    const genuine = await v2(completed, signV2(completed, webhookSalt));
    expect(await genuine.json()).toEqual({ received: true, outcome: 'processed' });
    expect(await status(c.id)).toBe('paid');
    const duplicate = await v2(completed, signV2(completed, webhookSalt));
    expect(await duplicate.json()).toEqual({ received: true, outcome: 'duplicate' });
    const failed = JSON.stringify({ ...JSON.parse(completed), status: 'failed', payments: [] });
    expect((await v2(failed, signV2(failed, webhookSalt))).status).toBe(200);
    expect(await status(c.id)).toBe('paid');
    const v1Genuine = await v1(signV1(fields, sandbox.business(KEY).salt));
    expect(v1Genuine.status).toBe(200);
    expect(await status(c.id)).toBe('paid');
  });

  it('a payment HitPay reports for less is refused as payment-insufficient, for more as verification-failed; both refunded (R30)', async () => {
    const outcomes: Record<string, unknown> = {};
    for (const [label, amount] of [
      ['less', '0.50'],
      ['more', '2.00'],
    ] as const) {
      const c = challenge();
      const view = await openDirect(c);
      const body = JSON.stringify({
        id: view.payment_request_id,
        status: 'completed',
        amount,
        currency: 'sgd',
        reference_number: c.id,
        payments: [{ id: `pay-${label}`, status: 'succeeded', amount, currency: 'sgd' }],
      });
      const res = await fetch(`${base}/v1/webhook/hitpay`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'hitpay-signature': signV2(body, webhookSalt),
          'hitpay-event-object': 'payment_request',
          'hitpay-event-type': 'completed',
        },
        body,
      });
      expect(await res.json()).toMatchObject({ received: true });
      expect(await status(c.id)).toBe('refunding');
      const refused = await running.broker
        .redeemCharge({
          merchantId,
          chargeId: c.id,
          challenge: c as never,
          amount: '100',
          currency: 'sgd',
          requestHash: boundHash(c),
          paymentRequestId: view.payment_request_id,
          leaseMs: 60_000,
        })
        .then(
          () => 'redeemed',
          (error: { code: string }) => error.code,
        );
      outcomes[label] = refused;
    }
    expect(outcomes).toEqual({ less: 'payment-insufficient', more: 'verification-failed' });
  });

  it('a webhook for a charge this broker never saw is acknowledged and ignored', async () => {
    const body = JSON.stringify({
      id: 'pr-unknown',
      status: 'completed',
      amount: '1.00',
      currency: 'sgd',
      reference_number: 'nope',
    });
    const res = await fetch(`${base}/v1/webhook/hitpay`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'hitpay-signature': signV2(body, webhookSalt),
        'hitpay-event-object': 'payment_request',
        'hitpay-event-type': 'completed',
      },
      body,
    });
    expect(await res.json()).toEqual({ received: true, outcome: 'ignored' });
  });

  it('the sandbox’s own duplicated and reordered deliveries leave one paid charge', async () => {
    const c = challenge();
    const view = await openDirect(c);
    sandbox.pay(view.payment_request_id, { fault: 'webhook=duplicate,webhook=reorder' });
    await sandbox.webhooksIdle();
    expect(await status(c.id)).toBe('paid');
    expect(sandbox.webhookDeliveries().every((d) => d.state === 'delivered' || d.state === 'dropped')).toBe(
      true,
    );
  });
});

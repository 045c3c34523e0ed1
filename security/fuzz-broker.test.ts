/**
 * Fuzzing the broker's HTTP surface with fast-check, over raw sockets, in both deployments:
 * standalone (`startBroker`, every endpoint on, Bearer-authenticated server routes included) and
 * embedded (mounted under `/mpp` by the Express adapter of a real API).
 *
 * Input: random methods, paths under `/v1/…` (ids, tokens and query strings of any shape), random
 * and oddly cased headers (Bearer keys, setup tokens, webhook signatures, 64 KiB values), random
 * JSON bodies, and challenges that are genuine except for one tampered member (or expired, or signed
 * with another merchant's secret).
 *
 * Invariants: an answer arrives, below 500, errors are problem+json; nothing forged reaches
 * HitPay (no payment request, no save session created), the broker stores no charge and no new
 * merchant, and the API stays up.
 */
import { merchantIdFor } from '@hit-pay/mpp';
import { base64url, type Challenge } from '@hit-pay/mpp/protocol';
import { type RunningBroker, startBroker } from '@hit-pay/mpp-broker';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeChallenge } from '../broker/test/support.ts';
import { headerName, headerValue, runs } from './support/fuzz.ts';
import { challengeOf } from './support/pay.ts';
import { type RawResponse, rawRequest } from './support/raw-http.ts';
import { BROKER_SECRET, count, startWorld, type World } from './support/world.ts';

const KEY = 'test_security_fuzz_broker';
const CHALLENGE_SECRET = 'security-fuzz-broker-challenge-secret-0123456789';
const FRAMING = /^(content-length|transfer-encoding|connection|expect|upgrade|te|keep-alive)$/i;
const RUNS = runs(400);

const RESOURCES = [
  'charges',
  'charges/{id}',
  'charges/{id}/return',
  'charges/{id}/verify',
  'charges/{id}/commit',
  'charges/{id}/release',
  'checkout/{token}',
  'qr.svg',
  'saved-payment-methods',
  'saved-payment-methods/options',
  'saved-payment-methods/{id}',
  'saved-payment-methods/{id}/charges',
  'saved-charges/{id}/refund',
  'webhook/hitpay',
  'webhook/hitpay/{merchant}',
  'merchants/self',
  'health',
  'nope',
];

const TAMPERABLE = ['id', 'realm', 'method', 'intent', 'request', 'expires', 'opaque'] as const;

/** A challenge that must not open a checkout: one member tampered, expired, or another merchant's. */
const forgedChallenge = (genuine: () => Challenge, foreign: () => Challenge, expired: () => Challenge) =>
  fc.oneof(
    fc
      .record({
        member: fc.constantFrom(...TAMPERABLE),
        value: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('hitpay-save', 'e30', '')), {
          nil: undefined,
        }),
      })
      .map(({ member, value }) => {
        const c: Record<string, unknown> = { ...genuine() };
        if (value === undefined) delete c[member];
        else c[member] = value;
        // A "tamper" that happens to leave the value unchanged is not a forgery.
        return c[member] === genuine()[member] ? { ...c, id: 'x'.repeat(43) } : c;
      }),
    fc.constant(null).map(() => foreign() as Record<string, unknown>),
    fc.constant(null).map(() => expired() as Record<string, unknown>),
    fc.dictionary(
      fc.constantFrom('id', 'realm', 'method', 'intent', 'request', 'expires', 'x'),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  );

function pathArb(prefix: string, ids: fc.Arbitrary<string>, token: fc.Arbitrary<string>) {
  return fc
    .record({
      resource: fc.constantFrom(...RESOURCES),
      id: ids,
      token,
      merchant: fc.oneof(fc.constant(merchantIdFor(KEY)), fc.stringMatching(/^m_[A-Za-z0-9_-]{1,70}$/)),
      query: fc.option(
        fc.oneof(
          fc.constantFrom('return_url=https://evil.example/', 'currency=sgd', 'currency=%00', 'data=x'),
          fc.string({ maxLength: 40 }).map((s) => `data=${encodeURIComponent(s)}`),
        ),
        { nil: undefined },
      ),
    })
    .map(({ resource, id, token, merchant, query }) => {
      const path = resource.replace('{id}', id).replace('{token}', token).replace('{merchant}', merchant);
      return `${prefix}/v1/${path}${query ? `?${query}` : ''}`;
    });
}

const ids = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.nat(300).map((n) => 'a'.repeat(n + 200)),
  fc.constantFrom('spm_x', 'sc_x', '..', '%2e%2e', '%00'),
);

function checkAnswer(r: RawResponse, context: string): void {
  expect(r.status, `no answer: ${context}`).toBeDefined();
  expect(r.status, `${context}\n${r.raw.slice(0, 500)}`).toBeLessThan(500);
  if (r.status! >= 400 && r.body.length > 0) {
    // The broker's refusals are problem documents (Node's own parser answers 400 with no body).
    expect(r.headers.get('content-type')?.[0], `${context}\n${r.raw.slice(0, 500)}`).toMatch(/problem\+json/);
  }
}

function brokerRequest(
  paths: fc.Arbitrary<string>,
  challenges: fc.Arbitrary<Record<string, unknown>>,
  goodBearer: string,
) {
  return fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'),
    path: paths,
    headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
    bearer: fc.option(
      fc.oneof(fc.constant(goodBearer), fc.string({ maxLength: 40 }), fc.constant('test_made_up_key')),
      { nil: undefined },
    ),
    contentType: fc.option(
      fc.constantFrom(
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/json; x',
      ),
      { nil: undefined },
    ),
    body: fc.oneof(
      fc.constant(undefined),
      challenges.map((challenge) => JSON.stringify({ challenge })),
      challenges.map((challenge) =>
        JSON.stringify({ challenge, payment_method: 'grabpay_direct', customer_email: 'a@b.example' }),
      ),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 300 }),
      fc.constantFrom(
        'payment_request_id=x&status=completed&hmac=00',
        '{"event":"recurring_billing.method_detached"}',
      ),
    ),
  });
}

async function send(
  port: number,
  shape: {
    method: string;
    path: string;
    headers: [string, string][];
    bearer: string | undefined;
    contentType: string | undefined;
    body: string | undefined;
  },
): Promise<RawResponse> {
  const headers: [string, string][] = shape.headers.filter(([n]) => !FRAMING.test(n));
  if (shape.bearer !== undefined) headers.push(['Authorization', `Bearer ${shape.bearer}`]);
  if (shape.contentType) headers.push(['Content-Type', shape.contentType]);
  return rawRequest(port, {
    method: shape.method,
    target: shape.path,
    headers,
    body: shape.body === undefined ? undefined : new TextEncoder().encode(shape.body),
  });
}

describe('standalone broker (raw sockets, every endpoint on)', () => {
  let sandbox: Sandbox;
  let running: RunningBroker;
  beforeAll(async () => {
    // Only the registered key exists at this HitPay: made-up keys are refused as at the real one.
    sandbox = await startSandbox({ autoCreateBusinesses: false, businesses: [{ apiKey: KEY }] });
    running = await startBroker({
      port: 0,
      database: 'memory://',
      secretKey: BROKER_SECRET,
      reconcileIntervalMs: 0,
      hitpayBaseUrls: [sandbox.url],
      hitpay: { retryBaseDelayMs: 5, timeoutMs: 3000 },
    });
    const res = await fetch(`${running.url}/v1/merchants/self`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        webhook_salt: 'fuzz-webhook-salt',
        api_salt: sandbox.business(KEY).salt,
        challenge_secrets: [CHALLENGE_SECRET],
        hitpay_base_url: sandbox.url,
      }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await running?.close();
    await sandbox?.close();
  });

  it(`random requests to every route never get a 5xx or hang, and nothing forged reaches HitPay (${RUNS} runs)`, async () => {
    const spec = {
      secret: CHALLENGE_SECRET,
      realm: 'api.example',
      merchant: merchantIdFor(KEY),
      broker: running.url,
    };
    const genuine = () => makeChallenge(spec);
    const foreign = () => makeChallenge({ ...spec, secret: 'another-merchant-secret-0123456789abcdef' });
    const expired = () => makeChallenge({ ...spec, expiresInMs: -1000 });
    const challenges = forgedChallenge(genuine, foreign, expired);
    const token = challenges.map((c) => base64url.encode(JSON.stringify(c)));
    const created = () => sandbox.stats.created;
    await fc.assert(
      fc.asyncProperty(brokerRequest(pathArb('', ids, token), challenges, KEY), async (shape) => {
        const r = await send(running.port, shape);
        checkAnswer(r, `${shape.method} ${shape.path.slice(0, 120)} ${shape.body?.slice(0, 200)}`);
        expect(created().paymentRequests + created().recurringBillings).toBe(0);
      }),
      { numRuns: RUNS },
    );
    expect(await count(running.broker, 'charges')).toBe(0);
    expect(await count(running.broker, 'saved_methods')).toBe(0);
    expect(await count(running.broker, 'merchants')).toBe(1);
    // Still serving, and a genuine challenge still opens its checkout.
    const ok = await fetch(`${running.url}/v1/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge: genuine() }),
    });
    expect(ok.status).toBe(200);
    expect(created().paymentRequests).toBe(1);
  });
});

describe('embedded broker (mounted under /mpp by the Express adapter)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  it(`random requests under /mpp never get a 5xx or hang, and nothing forged reaches HitPay (${RUNS} runs)`, async () => {
    const res = await fetch(`${w.api.url}/forecast/1`);
    await res.arrayBuffer();
    const real = challengeOf(res, 'hitpay');
    const savedRes = await fetch(`${w.api.url}/hourly/1`);
    await savedRes.arrayBuffer();
    const realSaved = challengeOf(savedRes, 'hitpay-save');
    const genuine = () => real;
    const foreign = () =>
      makeChallenge({
        secret: 'another-merchant-secret-0123456789abcdef',
        realm: '127.0.0.1',
        merchant: merchantIdFor(w.apiKey),
        broker: `${w.api.url}/mpp`,
      });
    const expired = () => ({ ...realSaved, id: 'y'.repeat(43) });
    const challenges = forgedChallenge(genuine, foreign, expired);
    const token = challenges.map((c) => base64url.encode(JSON.stringify(c)));
    const before = { ...w.sandbox.stats.created };
    await fc.assert(
      fc.asyncProperty(brokerRequest(pathArb('/mpp', ids, token), challenges, w.apiKey), async (shape) => {
        const r = await send(w.api.port, shape);
        checkAnswer(r, `${shape.method} ${shape.path.slice(0, 120)} ${shape.body?.slice(0, 200)}`);
        expect(w.sandbox.stats.created.paymentRequests).toBe(before.paymentRequests);
        expect(w.sandbox.stats.created.recurringBillings).toBe(before.recurringBillings);
      }),
      { numRuns: RUNS },
    );
    expect(await count(w.broker, 'charges')).toBe(0);
    expect(await count(w.broker, 'saved_methods')).toBe(0);
    expect((await fetch(`${w.api.url}/health`)).status).toBe(200);
  });
});

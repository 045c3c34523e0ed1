/**
 * Two broker instances on one PostgreSQL schema (what several standalone brokers, or several API
 * processes with embedded brokers, look like): concurrent checkout opens, redeems and saved-method
 * charges must never create, deliver or charge more than once or beyond the caps.
 */
import { randomBytes } from 'node:crypto';
import { merchantIdFor } from '@hit-pay/mpp';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type MppBroker } from '../src/index.js';
import {
  type Backend,
  backends,
  boundHash,
  brokerOptions,
  dropSchema,
  grantAt,
  makeChallenge,
  openAt,
  postgresAvailable,
  type Served,
  serveFetch,
  testClock,
} from './support.js';

const SECRET = 'concurrency-challenge-secret-concurrency';
const KEY = 'test_concurrency';
const REALM = 'api.concurrency.test';
const pg = backends('concurrency').find((b) => b.name === 'postgres');

describe.skipIf(!postgresAvailable)('two brokers on one PostgreSQL schema', () => {
  const backend = pg as Backend;
  let sandbox: Sandbox;
  let a: MppBroker;
  let b: MppBroker;
  let servedA: Served;
  let servedB: Served;
  const merchantId = merchantIdFor(KEY);

  beforeAll(async () => {
    sandbox = await startSandbox({ webhookRetryDelaysMs: [50] });
    const clock = testClock();
    const options = brokerOptions(backend, clock, { rateLimits: { checkoutPerAddress: false } });
    a = await createBroker(options);
    b = await createBroker(options);
    servedA = await serveFetch(a.fetch);
    servedB = await serveFetch(b.fetch);
    const endpoint = sandbox.registerWebhookEndpoint(KEY, { url: `${servedA.url}/v1/webhook/hitpay` });
    await a.registerMerchant({
      apiKey: KEY,
      webhookSalt: endpoint.salt,
      challengeSecrets: [SECRET],
      hitpayBaseUrl: sandbox.url,
    });
  });
  afterAll(async () => {
    await servedA?.close();
    await servedB?.close();
    await a?.close();
    await b?.close();
    await sandbox?.close();
    await dropSchema(backend);
  });

  const challenge = (method: 'hitpay' | 'hitpay-save' = 'hitpay', details?: Record<string, unknown>) =>
    makeChallenge({
      secret: SECRET,
      realm: REALM,
      merchant: merchantId,
      broker: servedA.url,
      method,
      details,
    });

  it('ten checkout opens spread over both instances create one payment request', async () => {
    const c = challenge();
    const before = sandbox.stats.created.paymentRequests;
    const views = await Promise.all(
      Array.from({ length: 10 }, (_, i) => openAt(i % 2 ? servedA.url : servedB.url, c)),
    );
    expect(new Set(views.map((v) => v.payment_request_id)).size).toBe(1);
    expect(sandbox.stats.created.paymentRequests - before).toBe(1);
  });

  it('100 concurrent redeems of one paid charge over both instances: exactly one wins', async () => {
    const c = challenge();
    const view = await openAt(servedB.url, c);
    sandbox.pay(view.payment_request_id);
    await sandbox.webhooksIdle();
    const input = {
      merchantId,
      chargeId: c.id,
      challenge: c as never,
      amount: '100',
      currency: 'sgd',
      requestHash: boundHash(c),
      paymentRequestId: view.payment_request_id,
      leaseMs: 60_000,
    };
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).redeemCharge(input)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const codes = new Set(
      results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])),
    );
    expect([...codes]).toEqual(['invalid-challenge']);
  });

  it('300 concurrent saved-method charges against a grant allowing 100: exactly 100 HitPay charges', async () => {
    const g = await grantAt(
      servedA.url,
      sandbox,
      challenge('hitpay-save', { max_amount_per_charge: '50', total_amount_cap: '5000' }),
    );
    const calls = () => sandbox.stats.calls['POST /v1/charge/recurring-billing/{id}'] ?? 0;
    const before = calls();
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        (i % 2 ? a : b).chargeSavedMethod({
          merchantId,
          grant: g.grant,
          savedMethodId: g.id,
          nonce: randomBytes(18).toString('base64url'),
          amount: '50',
          currency: 'sgd',
          requestHash: 'r'.repeat(43),
          challengeId: 'c'.repeat(43),
          realm: REALM,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    const codes = new Set(
      results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : [])),
    );
    expect([...codes]).toEqual(['grant-exhausted']);
    expect(calls() - before).toBe(100);
    const { rows } = await a.database.query<{
      used_amount: string;
      total_amount_cap: string;
      use_count: number;
    }>('SELECT used_amount, total_amount_cap, use_count FROM saved_methods WHERE id = $1', [g.id]);
    expect(rows[0]).toEqual({ used_amount: '5000', total_amount_cap: '5000', use_count: 100 });
  });
});

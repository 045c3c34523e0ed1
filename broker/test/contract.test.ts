/**
 * The Broker contract, one table of scenarios run twice: against the broker object in-process (what
 * core gets embedded) and against core's `remoteBroker` talking to `startBroker()` over HTTP. Both
 * must answer the same values and refuse with the same MppError codes.
 */
import { randomBytes } from 'node:crypto';
import { type Broker, merchantIdFor, remoteBroker } from '@hit-pay/mpp';
import type { Challenge } from '@hit-pay/mpp/protocol';
import { verifyReceipt } from '@hit-pay/mpp/receipts';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type MppBroker, startBroker } from '../src/index.js';
import {
  type Backend,
  backends,
  boundHash,
  brokerOptions,
  dropSchema,
  grantAt,
  makeChallenge,
  openAt,
  type Served,
  serveFetch,
  testClock,
} from './support.js';

const CHALLENGE_SECRET = 'contract-challenge-secret-contract-challenge';
const REALM = 'api.contract.test';

interface Target {
  broker: Broker;
  /** Public base URL of its routes (checkout, webhooks, polling). */
  base: string;
  apiKey: string;
  merchantId: string;
  close(): Promise<void>;
}

let sandbox: Sandbox;
const targets: Record<string, Target> = {};

async function register(t: Omit<Target, 'merchantId'>): Promise<Target> {
  const endpoint = sandbox.registerWebhookEndpoint(t.apiKey, { url: `${t.base}/v1/webhook/hitpay` });
  const { merchantId } = await t.broker.registerMerchant({
    apiKey: t.apiKey,
    apiSalt: sandbox.business(t.apiKey).salt,
    webhookSalt: endpoint.salt,
    challengeSecrets: [CHALLENGE_SECRET],
    hitpayBaseUrl: sandbox.url,
  });
  expect(merchantId).toBe(merchantIdFor(t.apiKey));
  return { ...t, merchantId };
}

const stores = backends('contract');

beforeAll(async () => {
  sandbox = await startSandbox({ webhookRetryDelaysMs: [50] });
  for (const store of stores) {
    const options = brokerOptions(store, testClock());
    const local: MppBroker = await createBroker(options);
    const served: Served = await serveFetch(local.fetch);
    targets[`in-process on ${store.name}`] = await register({
      broker: local,
      base: served.url,
      apiKey: `test_contract_local_${store.name}`,
      async close() {
        await served.close();
        await local.close();
      },
    });
    // The standalone broker gets a schema of its own on PostgreSQL (another deployment).
    const remoteStore: Backend = store.schema ? { ...store, schema: `${store.schema}_remote` } : store;
    const running = await startBroker({
      ...brokerOptions(remoteStore, testClock()),
      port: 0,
      hitpayBaseUrls: [sandbox.url],
    });
    targets[`remote on ${store.name}`] = await register({
      broker: remoteBroker({ endpoint: running.url, apiKey: `test_contract_remote_${store.name}` }),
      base: running.url,
      apiKey: `test_contract_remote_${store.name}`,
      async close() {
        await running.close();
        await dropSchema(remoteStore);
      },
    });
  }
});

afterAll(async () => {
  for (const t of Object.values(targets)) await t.close();
  for (const store of stores) await dropSchema(store);
  await sandbox?.close();
});

function challengeFor(t: Target, method: 'hitpay' | 'hitpay-save' = 'hitpay'): Challenge {
  return makeChallenge({
    secret: CHALLENGE_SECRET,
    realm: REALM,
    merchant: t.merchantId,
    broker: t.base,
    method,
  });
}

async function paidCharge(t: Target) {
  const c = challengeFor(t);
  const view = await openAt(t.base, c);
  sandbox.pay(view.payment_request_id);
  await sandbox.webhooksIdle();
  const input = {
    merchantId: t.merchantId,
    chargeId: c.id,
    challenge: c as never,
    amount: '100',
    currency: 'sgd',
    requestHash: boundHash(c),
    paymentRequestId: view.payment_request_id as string,
    leaseMs: 60_000,
  };
  return { c, view, input };
}

const nonce = () => randomBytes(18).toString('base64url');

const scenarios: [string, (t: Target) => Promise<void>][] = [
  [
    'publishes its keys',
    async (t) => {
      const jwks = await t.broker.jwks();
      expect(jwks.keys[0]).toMatchObject({
        kty: 'OKP',
        crv: 'Ed25519',
        alg: 'EdDSA',
        kid: expect.any(String),
      });
      expect(JSON.stringify(jwks)).not.toContain('"d"');
    },
  ],
  [
    'an unpaid charge is payment-action-required with a retry hint',
    async (t) => {
      const c = challengeFor(t);
      const input = {
        merchantId: t.merchantId,
        chargeId: c.id,
        challenge: c as never,
        amount: '100',
        currency: 'sgd',
        requestHash: boundHash(c),
        leaseMs: 60_000,
      };
      await expect(t.broker.redeemCharge(input)).rejects.toMatchObject({
        code: 'payment-action-required',
        retryAfter: 2,
      });
      await openAt(t.base, c);
      await expect(t.broker.redeemCharge(input)).rejects.toMatchObject({
        code: 'payment-action-required',
        retryAfter: 2,
      });
    },
  ],
  [
    'a paid charge redeems once, releases, redeems again, commits',
    async (t) => {
      const { input, view } = await paidCharge(t);
      const r = await t.broker.redeemCharge(input);
      expect(r.paymentRequestId).toBe(view.payment_request_id);
      const claims = await verifyReceipt(r.receiptJws, (await t.broker.jwks()) as never, { audience: REALM });
      expect(claims).toMatchObject({
        reference: r.paymentId,
        challengeId: input.chargeId,
        amount: '100',
        requestHash: input.requestHash,
      });
      await expect(t.broker.redeemCharge(input)).rejects.toMatchObject({ code: 'invalid-challenge' });
      await t.broker.releaseCharge(t.merchantId, input.chargeId, r.leaseId);
      await t.broker.releaseCharge(t.merchantId, input.chargeId, r.leaseId); // idempotent
      const again = await t.broker.redeemCharge(input);
      expect(again.paymentId).toBe(r.paymentId);
      expect(again.leaseId).not.toBe(r.leaseId);
      // The first redemption's lease is gone: it can neither release nor commit the second one.
      await t.broker.releaseCharge(t.merchantId, input.chargeId, r.leaseId);
      await expect(t.broker.redeemCharge(input)).rejects.toMatchObject({ code: 'invalid-challenge' });
      await t.broker.commitCharge(t.merchantId, input.chargeId, again.leaseId);
      await expect(t.broker.redeemCharge(input)).rejects.toMatchObject({ code: 'invalid-challenge' });
    },
  ],
  [
    'mismatched amount, currency, request or payment request is verification-failed',
    async (t) => {
      const { input } = await paidCharge(t);
      for (const bad of [
        { amount: '101' },
        { currency: 'myr' },
        { requestHash: 'z'.repeat(43) },
        { paymentRequestId: 'nope' },
      ])
        await expect(t.broker.redeemCharge({ ...input, ...bad })).rejects.toMatchObject({
          code: 'verification-failed',
        });
      await expect(t.broker.commitCharge(t.merchantId, 'no-such-charge', 'lease')).rejects.toMatchObject({
        code: 'not-found',
      });
    },
  ],
  [
    'saved-method charges: paid with a receipt, replay refused, caps enforced, refund idempotent',
    async (t) => {
      const g = await grantAt(t.base, sandbox, challengeFor(t, 'hitpay-save'));
      const base = {
        merchantId: t.merchantId,
        grant: g.grant,
        savedMethodId: g.id,
        amount: '200',
        currency: 'sgd',
        requestHash: 'r'.repeat(43),
        challengeId: 'c'.repeat(43),
        realm: REALM,
      };
      const n = nonce();
      const paid = await t.broker.chargeSavedMethod({ ...base, nonce: n });
      expect(paid).toMatchObject({ chargeId: expect.stringMatching(/^sc_/), remaining: '4800' });
      const claims = await verifyReceipt(paid.receiptJws, (await t.broker.jwks()) as never);
      expect(claims).toMatchObject({
        method: 'hitpay-save',
        grantId: g.id,
        remaining: '4800',
        reference: paid.paymentId,
      });
      await expect(t.broker.chargeSavedMethod({ ...base, nonce: n })).rejects.toMatchObject({
        code: 'invalid-challenge',
      });
      await expect(
        t.broker.chargeSavedMethod({ ...base, nonce: nonce(), amount: '501' }),
      ).rejects.toMatchObject({
        code: 'grant-exhausted',
      });
      await expect(
        t.broker.chargeSavedMethod({ ...base, nonce: nonce(), grant: `${g.grant.slice(0, -4)}AAAA` }),
      ).rejects.toMatchObject({ code: 'grant-invalid' });
      await expect(
        t.broker.chargeSavedMethod({ ...base, nonce: nonce(), realm: 'other.test' }),
      ).rejects.toMatchObject({
        code: 'grant-invalid',
      });
      const refunds = sandbox.stats.created.refunds;
      await t.broker.refundSavedCharge(t.merchantId, paid.chargeId);
      await t.broker.refundSavedCharge(t.merchantId, paid.chargeId);
      expect(sandbox.stats.created.refunds - refunds).toBe(1);
      const again = await t.broker.chargeSavedMethod({ ...base, nonce: nonce() });
      expect(again.remaining).toBe('4800'); // the refund gave the 200 back
    },
  ],
];

const names = stores.flatMap((store) => [`in-process on ${store.name}`, `remote on ${store.name}`]);

describe.each(names)('broker contract (%s)', (name) => {
  it.each(scenarios)('%s', async (_title, run) => {
    await run(targets[name]!);
  });
});

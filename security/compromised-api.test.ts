/**
 * A compromised API instance: an attacker holds merchant A's HitPay API key (and so everything A's
 * API can do) at a standalone broker shared with merchant B. A's key can act as A only: B's paid
 * charges cannot be redeemed, committed, released or refunded with it, B's wallet cannot be charged
 * with B's grant in A's name, B's secrets cannot be replaced, and the broker will not send any key
 * to a HitPay host of the attacker's choosing. What A's key can do to A is A's own business.
 */
import { merchantIdFor } from '@hit-pay/mpp';
import { type RunningBroker, startBroker } from '@hit-pay/mpp-broker';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundHash, grantAt, makeChallenge, openAt } from '../broker/test/support.ts';
import { nonce } from './support/pay.ts';
import { BROKER_SECRET } from './support/world.ts';

const A = 'test_compromised_a';
const B = 'test_victim_b';
const SECRET_A = 'merchant-a-challenge-secret-0123456789abcdef';
const SECRET_B = 'merchant-b-challenge-secret-0123456789abcdef';

let sandbox: Sandbox;
let running: RunningBroker;
let webhookSaltB: string;

const call = (key: string, method: string, path: string, body?: unknown) =>
  fetch(`${running.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  sandbox = await startSandbox({ webhookRetryDelaysMs: [50] });
  running = await startBroker({
    port: 0,
    database: 'memory://',
    secretKey: BROKER_SECRET,
    reconcileIntervalMs: 0,
    pollIntervalMs: 0,
    hitpayBaseUrls: [sandbox.url],
  });
  for (const [key, secret] of [
    [A, SECRET_A],
    [B, SECRET_B],
  ] as const) {
    const salt = sandbox.registerWebhookEndpoint(key, {
      url: `${running.url}/v1/webhook/hitpay/${merchantIdFor(key)}`,
    }).salt;
    if (key === B) webhookSaltB = salt;
    const res = await call(key, 'PUT', '/v1/merchants/self', {
      webhook_salt: salt,
      api_salt: sandbox.business(key).salt,
      challenge_secrets: [secret],
      hitpay_base_url: sandbox.url,
    });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await running?.close();
  await sandbox?.close();
});

const challengeB = (method: 'hitpay' | 'hitpay-save' = 'hitpay') =>
  makeChallenge({
    secret: SECRET_B,
    realm: 'api.b.example',
    merchant: merchantIdFor(B),
    broker: running.url,
    method,
  });

describe("merchant A's key at a broker shared with merchant B", () => {
  it("cannot redeem, commit, release or refund B's charges", async () => {
    const c = challengeB();
    const view = await openAt(running.url, c);
    sandbox.pay(view.payment_request_id);
    await sandbox.webhooksIdle();
    const verify = {
      challenge: c,
      amount: '100',
      currency: 'sgd',
      request_hash: boundHash(c),
      payment_request_id: view.payment_request_id,
    };
    const stolen = await call(A, 'POST', `/v1/charges/${c.id}/verify`, verify);
    expect(stolen.status).toBe(409); // A has no such charge: "not paid yet"
    expect((await stolen.json()).type).toMatch(/payment-action-required$/);
    for (const action of ['commit', 'release']) {
      const res = await call(A, 'POST', `/v1/charges/${c.id}/${action}`, { lease_id: 'guess' });
      expect([404, 204]).toContain(res.status);
    }
    // B redeems its own charge, once.
    const own = await call(B, 'POST', `/v1/charges/${c.id}/verify`, verify);
    expect(own.status).toBe(200);
    const { lease_id } = (await own.json()) as { lease_id: string };
    expect((await call(A, 'POST', `/v1/charges/${c.id}/commit`, { lease_id })).status).toBe(404);
    expect((await call(B, 'POST', `/v1/charges/${c.id}/commit`, { lease_id })).status).toBe(204);
    const { rows } = await running.broker.database.query<{ status: string }>(
      'SELECT status FROM charges WHERE id = $1',
      [c.id],
    );
    expect(rows[0]!.status).toBe('redeemed');
  });

  it("cannot charge B's wallet with B's grant, nor refund B's saved charges", async () => {
    const g = await grantAt(running.url, sandbox, challengeB('hitpay-save'));
    const before = sandbox.stats.created.charges;
    const input = {
      grant: g.grant,
      nonce: nonce(),
      amount: '50',
      currency: 'sgd',
      request_hash: 'h'.repeat(43),
      challenge_id: 'c'.repeat(43),
      realm: 'api.b.example',
    };
    const res = await call(A, 'POST', `/v1/saved-payment-methods/${g.id}/charges`, input);
    expect(res.status).toBe(400);
    expect((await res.json()).type).toMatch(/grant-invalid$/);
    expect(sandbox.stats.created.charges).toBe(before);
    const own = await call(B, 'POST', `/v1/saved-payment-methods/${g.id}/charges`, {
      ...input,
      nonce: nonce(),
    });
    expect(own.status).toBe(200);
    const { charge_id } = (await own.json()) as { charge_id: string };
    expect((await call(A, 'POST', `/v1/saved-charges/${charge_id}/refund`)).status).toBe(404);
    expect(sandbox.stats.created.refunds).toBe(0);
  });

  it("cannot replace B's secrets or salts, nor point the broker's HitPay calls elsewhere", async () => {
    // Registering always registers the key's own merchant: A's key cannot name B.
    const res = await call(A, 'PUT', '/v1/merchants/self', {
      webhook_salt: 'attacker-salt',
      challenge_secrets: ['attacker-secret-0123456789abcdefghijkl'],
      hitpay_base_url: sandbox.url,
    });
    expect(await res.json()).toEqual({ merchant_id: merchantIdFor(A) });
    const b = await running.broker.fetch(new Request(`${running.url}/v1/health`));
    expect(b.status).toBe(200);
    // B's challenges still verify with B's secret, B's webhooks with B's salt.
    const c = challengeB();
    expect((await openAt(running.url, c)).status).toBe('pending');
    expect(webhookSaltB).not.toBe('attacker-salt');
    for (const url of [
      'http://169.254.169.254',
      'http://127.0.0.1:5432',
      'https://api.hit-pay.com.evil.example',
    ]) {
      const ssrf = await call(A, 'PUT', '/v1/merchants/self', {
        challenge_secrets: ['s'.repeat(32)],
        hitpay_base_url: url,
      });
      expect(ssrf.status).toBe(403);
    }
  });
});

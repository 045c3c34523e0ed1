/**
 * Rotating the broker's signing key under load. Saved-wallet calls (each answered with a signed
 * receipt) run 8 at a time while `rotateKeys()` happens in the middle: every receipt verifies
 * against the published JWKS, those signed before the rotation with the old key (still published)
 * and those after with the new one; the agent client accepts both without a pause; grants signed
 * before the rotation keep working and a grant signed right after it is accepted at once.
 */

import { merchantIdFor } from '@hit-pay/mpp';
import { parseReceipt } from '@hit-pay/mpp/protocol';
import { verifyReceipt } from '@hit-pay/mpp/receipts';
import { startBroker } from '@hit-pay/mpp-broker';
import { mppFetch } from '@hit-pay/mpp-client';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeOf, grantCredential, saveWallet } from './support/pay.ts';
import { BROKER_SECRET, startWorld, type World } from './support/world.ts';

let w: World;
beforeAll(async () => {
  w = await startWorld({ broker: { rateLimits: { setupPerAddress: false } } });
});
afterAll(async () => {
  await w?.close();
});

const jwsOf = (header: string | null) => String((parseReceipt(header!) as { jws?: unknown }).jws);
const kidOf = (jws: string) => decodeProtectedHeader(jws).kid;

describe('key rotation under load', () => {
  it('receipts signed before the rotation still verify; new ones use the new key; clients and grants never notice', async () => {
    const old = await saveWallet(w, '/hourly/1');
    const oldKid = kidOf(old.grant);
    // The agent client verifies a receipt first, so it has the pre-rotation JWKS cached.
    const warm = await mppFetch(`${w.api.url}/hourly/warm`, { savedMethodJws: old.grant });
    expect(warm.receipt?.jws && kidOf(warm.receipt.jws)).toBe(oldKid);

    interface Paid {
      jws: string;
      startedAfterRotation: boolean;
      finishedBeforeRotation: boolean;
    }
    const paid: Paid[] = [];
    let rotated = false;
    let rotationDone = false;
    let n = 0;
    const worker = async () => {
      while (n < 80) {
        const i = n++;
        const startedAfterRotation = rotationDone;
        const path = `/hourly/${i}`;
        const res = await fetch(`${w.api.url}${path}`, {
          headers: { authorization: grantCredential(old.challenge, old.grant, path) },
        });
        expect(res.status).toBe(200);
        paid.push({
          jws: jwsOf(res.headers.get('payment-receipt')),
          startedAfterRotation,
          finishedBeforeRotation: !rotated,
        });
        await res.arrayBuffer();
      }
    };
    const load = Array.from({ length: 8 }, worker);
    while (n < 30) await new Promise((r) => setTimeout(r, 5));
    rotated = true;
    const { kid: newKid } = await w.broker.rotateKeys();
    rotationDone = true;
    await Promise.all(load);
    expect(newKid).not.toBe(oldKid);

    const jwks = (await (await fetch(`${w.api.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    for (const p of paid) await verifyReceipt(p.jws, jwks, { audience: '127.0.0.1' });
    expect(paid.filter((p) => p.finishedBeforeRotation).every((p) => kidOf(p.jws) === oldKid)).toBe(true);
    const after = paid.filter((p) => p.startedAfterRotation);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((p) => kidOf(p.jws) === newKid)).toBe(true);

    // The agent client, with the old JWKS cached, accepts a receipt signed with the new key at once.
    const client = await mppFetch(`${w.api.url}/hourly/client-after`, { savedMethodJws: old.grant });
    expect(client.response.status).toBe(200);
    expect(kidOf(client.receipt!.jws)).toBe(newKid);

    // A grant signed before the rotation still pays; one signed right after it pays at once.
    const fresh = await saveWallet(w, '/hourly/1', 'shopee_pay');
    expect(kidOf(fresh.grant)).toBe(newKid);
    const res = await fetch(`${w.api.url}/hourly/fresh`, {
      headers: { authorization: grantCredential(fresh.challenge, fresh.grant, '/hourly/fresh') },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    console.info(
      `key rotation: ${paid.length} receipts at concurrency 8, ${after.length} after the rotation`,
    );
  });
});

describe('key rotation at a standalone broker (API instances verify grants against its remote JWKS)', () => {
  it('a grant signed after the rotation is accepted within a second; old grants keep working', async () => {
    const sandbox = await startSandbox({ webhookRetryDelaysMs: [50] });
    const running = await startBroker({
      port: 0,
      database: 'memory://',
      secretKey: BROKER_SECRET,
      reconcileIntervalMs: 0,
      pollIntervalMs: 0,
      hitpayBaseUrls: [sandbox.url],
    });
    const api = await startWorld({
      sharedSandbox: sandbox,
      engine: { endpoint: running.url, broker: undefined } as never,
    });
    try {
      sandbox.registerWebhookEndpoint(api.apiKey, {
        url: `${running.url}/v1/webhook/hitpay/${merchantIdFor(api.apiKey)}`,
        salt: api.webhookSalt,
      });
      const old = await saveWalletAt(api, running.url, sandbox, '/hourly/1');
      const pay = (g: { challenge: never; grant: string }, path: string) =>
        fetch(`${api.api.url}${path}`, {
          headers: { authorization: grantCredential(g.challenge, g.grant, path) },
        });
      expect((await pay(old, '/hourly/a')).status).toBe(200); // the API fetched the JWKS
      await running.broker.rotateKeys();
      const fresh = await saveWalletAt(api, running.url, sandbox, '/hourly/1', 'shopee_pay');
      expect(kidOf(fresh.grant)).not.toBe(kidOf(old.grant));
      await new Promise((r) => setTimeout(r, 1100)); // the JWKS refetch cool-down
      expect((await pay(fresh, '/hourly/b')).status).toBe(200);
      expect((await pay(old, '/hourly/c')).status).toBe(200);
    } finally {
      await api.close();
      await running.close();
      await sandbox.close();
    }
  });
});

/** A wallet saved through a standalone broker (its public routes at the broker's own URL). */
async function saveWalletAt(
  api: World,
  brokerUrl: string,
  sandbox: Sandbox,
  path: string,
  rail = 'grabpay_direct',
) {
  const res = await fetch(`${api.api.url}${path}`);
  await res.arrayBuffer();
  const challenge = challengeOf(res, 'hitpay-save');
  const setup = (await (
    await fetch(`${brokerUrl}/v1/saved-payment-methods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ challenge, payment_method: rail }),
    })
  ).json()) as Record<string, string>;
  sandbox.approve(new URL(setup.setup_checkout_url).pathname.split('/').pop()!);
  await sandbox.webhooksIdle();
  const view = (await (
    await fetch(setup.polling_url, { headers: { 'x-setup-token': setup.setup_token } })
  ).json()) as Record<string, string>;
  expect(view.status).toBe('active');
  return { challenge: challenge as never, grant: view.saved_method_jws as string };
}

/**
 * Stolen credentials and grants: a paid `hitpay` credential and a saved-method grant, taken by
 * someone else and presented on another route, another host (realm), another merchant's API (the
 * same broker and signing key serve both merchants), with another method, or after expiry — all
 * refused, with no HitPay call, and the genuine credential still redeems once where it belongs.
 * On the agent side, a server that relays another API's challenge never receives the grant.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { merchantIdFor } from '@hit-pay/mpp';
import { parseChallenges } from '@hit-pay/mpp/protocol';
import { createBroker, type MppBroker } from '@hit-pay/mpp-broker';
import { mppFetch, NoPayableChallenge } from '@hit-pay/mpp-client';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActiveGrant,
  challengeOf,
  credentialFor,
  grantCredential,
  nonce,
  type PaidChallenge,
  payOnce,
  saveWallet,
} from './support/pay.ts';
import { rawRequest } from './support/raw-http.ts';
import { BROKER_SECRET, capturingLogger, movableClock, startWorld, type World } from './support/world.ts';

let sandbox: Sandbox;
let broker: MppBroker;
let a: World;
let b: World;
const clock = movableClock();

beforeAll(async () => {
  sandbox = await startSandbox({ webhookRetryDelaysMs: [50, 200] });
  broker = await createBroker({
    database: 'memory://',
    secretKey: BROKER_SECRET,
    reconcileIntervalMs: 0,
    pollIntervalMs: 0,
    now: clock.now,
    logger: capturingLogger(),
    grantLifetimeMs: 60 * 60_000,
  });
  const shared = { sharedSandbox: sandbox, sharedBroker: broker, clock };
  a = await startWorld({ ...shared, apiKey: 'test_merchant_a' });
  b = await startWorld({ ...shared, apiKey: 'test_merchant_b' });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await broker?.close();
  await sandbox?.close();
});

/** The problem of a refused request: its status and type suffix. */
async function refusal(res: Response | { status: number | undefined; body: string }): Promise<string> {
  const text = res instanceof Response ? await res.text() : res.body;
  const type = String(JSON.parse(text).type).split('/').pop();
  return `${res.status} ${type}`;
}

const charges = () => sandbox.stats.created.charges;

describe('a paid one-time credential', () => {
  let paid: PaidChallenge;
  beforeAll(async () => {
    paid = await payOnce(a, '/forecast/1');
  });
  const use = (w: World, path: string, credential = paid.credential) =>
    fetch(`${w.api.url}${path}`, { headers: { authorization: credential } });

  it('is refused on another route: another path parameter, another price, another method of the same path', async () => {
    expect(await refusal(await use(a, '/forecast/2'))).toBe('402 invalid-challenge');
    expect(await refusal(await use(a, '/report/1'))).toBe('402 invalid-challenge');
    expect(await refusal(await use(a, '/forecast/1?zip=2'))).toBe('402 invalid-challenge');
  });

  it('is refused on another host (realm), even behind a proxy header it does not trust', async () => {
    for (const headers of [
      [['Host', 'evil.example']],
      [['Host', `localhost:${a.api.port}`]],
      [
        ['Host', 'evil.example'],
        ['X-Forwarded-Host', '127.0.0.1'],
      ],
    ] as [string, string][][]) {
      const r = await rawRequest(a.api.port, {
        method: 'GET',
        target: '/forecast/1',
        headers: [...headers, ['Authorization', paid.credential]],
      });
      expect(await refusal(r)).toBe('402 invalid-challenge');
    }
  });

  it("is refused at another merchant's API on the same broker", async () => {
    expect(await refusal(await use(b, '/forecast/1'))).toBe('402 invalid-challenge');
  });

  it('is refused as another method: on a saved-method route, or with its method renamed', async () => {
    expect(await refusal(await use(a, '/hourly/1'))).toBe('400 method-unsupported');
    const renamed = credentialFor(
      { ...paid.challenge, method: 'hitpay-save' },
      { payment_request_id: paid.paymentRequestId },
    );
    expect(await refusal(await use(a, '/hourly/1', renamed))).toBe('402 invalid-challenge');
  });

  it('still redeems once where it belongs after all those attempts; a replay is refused', async () => {
    const ok = await use(a, '/forecast/1');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('payment-receipt')).toBeTruthy();
    await new Promise((r) => setTimeout(r, 50));
    expect(await refusal(await use(a, '/forecast/1'))).toBe('402 invalid-challenge');
    expect(a.runs.forecast).toBe(1);
    expect(b.runs.forecast ?? 0).toBe(0);
  });
});

describe('a saved-method grant', () => {
  let g: ActiveGrant;
  let before: number;
  beforeAll(async () => {
    g = await saveWallet(a, '/hourly/1');
    before = charges();
  });
  const pay = (w: World, path: string, credential: string, headers: Record<string, string> = {}) =>
    fetch(`${w.api.url}${path}`, { headers: { ...headers, authorization: credential } });

  it('is refused on another host (realm)', async () => {
    const r = await rawRequest(a.api.port, {
      method: 'GET',
      target: '/hourly/1',
      headers: [
        ['Host', 'evil.example'],
        ['Authorization', grantCredential(g.challenge, g.grant, '/hourly/1')],
      ],
    });
    // The echoed challenge names the grant's realm: it is refused before the grant is even read.
    expect(await refusal(r)).toBe('402 invalid-challenge');
    // With a challenge issued for the other host, the grant itself is refused.
    const other = await rawRequest(a.api.port, {
      method: 'GET',
      target: '/hourly/1',
      headers: [['Host', 'evil.example']],
    });
    const otherChallenge = parseChallenges(other.headers.get('www-authenticate')!.join(', ')).find(
      (c) => c.method === 'hitpay-save',
    )!;
    const r2 = await rawRequest(a.api.port, {
      method: 'GET',
      target: '/hourly/1',
      headers: [
        ['Host', 'evil.example'],
        ['Authorization', grantCredential(otherChallenge, g.grant, '/hourly/1')],
      ],
    });
    expect(await refusal(r2)).toBe('402 grant-invalid');
    expect(charges()).toBe(before);
  });

  it("is refused at another merchant's API, though the same broker key signed it", async () => {
    const res = await fetch(`${b.api.url}/hourly/1`);
    await res.arrayBuffer();
    const challengeB = challengeOf(res, 'hitpay-save');
    expect(await refusal(await pay(b, '/hourly/1', grantCredential(challengeB, g.grant, '/hourly/1')))).toBe(
      '402 grant-invalid',
    );
    // And straight at the broker, naming merchant B: re-checked under the lock.
    await expect(
      broker.chargeSavedMethod({
        merchantId: merchantIdFor(b.apiKey),
        grant: g.grant,
        savedMethodId: g.savedMethodId,
        nonce: nonce(),
        amount: '50',
        currency: 'sgd',
        requestHash: 'h'.repeat(43),
        challengeId: 'c'.repeat(43),
        realm: '127.0.0.1',
      }),
    ).rejects.toMatchObject({ code: 'grant-invalid' });
    expect(charges()).toBe(before);
  });

  it('is refused in another currency, or as the payload of a one-time challenge (another method)', async () => {
    const res = await fetch(`${a.api.url}/hourly-myr/1`);
    await res.arrayBuffer();
    expect(
      await refusal(
        await pay(
          a,
          '/hourly-myr/1',
          grantCredential(challengeOf(res, 'hitpay-save'), g.grant, '/hourly-myr/1'),
        ),
      ),
    ).toBe('402 grant-invalid');
    const oneTime = await fetch(`${a.api.url}/forecast/9`);
    await oneTime.arrayBuffer();
    const asHitpay = credentialFor(challengeOf(oneTime, 'hitpay'), {
      grant: g.grant,
      nonce: nonce(),
      request_hash: 'x',
    });
    expect(await refusal(await pay(a, '/forecast/9', asHitpay))).toBe('402 invalid-payload');
    expect(charges()).toBe(before);
  });

  it('a credential made with it pays its own request once: not another path, not twice', async () => {
    const credential = grantCredential(g.challenge, g.grant, '/hourly/1');
    expect(await refusal(await pay(a, '/hourly/2', credential))).toBe('402 verification-failed');
    expect((await pay(a, '/hourly/1', credential)).status).toBe(200);
    expect(await refusal(await pay(a, '/hourly/1', credential))).toBe('402 invalid-challenge');
    expect(charges()).toBe(before + 1);
  });

  it('is refused after it expires, and after the wallet is detached at HitPay', async () => {
    const fresh = await saveWallet(a, '/hourly/3', 'shopee_pay');
    const n = charges();
    clock.advance(2 * 60 * 60_000); // the broker signed it for one hour
    const later = await fetch(`${a.api.url}/hourly/1`);
    await later.arrayBuffer();
    expect(
      await refusal(
        await pay(
          a,
          '/hourly/1',
          grantCredential(challengeOf(later, 'hitpay-save'), fresh.grant, '/hourly/1'),
        ),
      ),
    ).toBe('402 grant-invalid');
    clock.advance(-2 * 60 * 60_000);
    const { rows } = await broker.database.query<{ recurring_billing_id: string }>(
      'SELECT recurring_billing_id FROM saved_methods WHERE id = $1',
      [fresh.savedMethodId],
    );
    await fetch(`${sandbox.url}/v1/recurring-billing/${rows[0]!.recurring_billing_id}`, {
      method: 'DELETE',
      headers: { 'x-business-api-key': a.apiKey },
    });
    await sandbox.webhooksIdle();
    expect(
      await refusal(await pay(a, '/hourly/1', grantCredential(g.challenge, fresh.grant, '/hourly/1'))),
    ).toBe('402 grant-invalid');
    expect(charges()).toBe(n);
  });
});

describe('the agent client', () => {
  it("never sends a grant to a server that relays another API's saved-method challenge", async () => {
    const g = await saveWallet(a, '/hourly/1');
    // The evil server answers every request with API A's own (reusable) hitpay-save 402.
    const genuine = await fetch(`${a.api.url}/hourly/1`);
    const wwwAuthenticate = genuine.headers.get('www-authenticate')!;
    const body = await genuine.text();
    const seen: string[] = [];
    const evil = http.createServer((req, res) => {
      if (req.headers.authorization) seen.push(req.headers.authorization);
      res.writeHead(402, {
        'www-authenticate': wwwAuthenticate,
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
      });
      res.end(body);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const port = (evil.address() as AddressInfo).port;
    try {
      // Another host name than the grant's realm (127.0.0.1): localhost.
      await expect(
        mppFetch(`http://localhost:${port}/hourly/1`, { savedMethodJws: g.grant }),
      ).rejects.toBeInstanceOf(NoPayableChallenge);
      expect(seen.filter((h) => h.includes(g.grant.split('.')[1]!))).toEqual([]);
      // At the API the grant belongs to, the same call pays.
      const { response } = await mppFetch(`${a.api.url}/hourly/1`, { savedMethodJws: g.grant });
      expect(response.status).toBe(200);
    } finally {
      evil.closeAllConnections();
      await new Promise((r) => evil.close(r));
    }
  });
});

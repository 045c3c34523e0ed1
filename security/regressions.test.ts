/**
 * One focused test per finding of the security review whose main test lives nowhere else (the
 * others are named in docs/SECURITY.md next to their topic: webhooks, timing, faults, key rotation,
 * stolen credentials, abuse, services).
 */
import { merchantIdFor } from '@hit-pay/mpp';
import { type RunningBroker, startBroker } from '@hit-pay/mpp-broker';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, SURFACES, startApp } from './support/apps.ts';
import { rawRequest } from './support/raw-http.ts';
import { BROKER_SECRET } from './support/world.ts';

describe('route maps follow the path of an absolute-form request target (GET http://host/paid/1)', () => {
  for (const surface of ['express', 'koa'] as const) {
    it(`${surface}: the route-map-protected handler does not run unpaid`, async () => {
      const app = await startApp(surface);
      try {
        for (const target of [
          'http://evil.example/paid/1',
          'https://127.0.0.1/paid/1?x=1',
          'http://x//paid/1',
        ]) {
          const r = await rawRequest(app.port, { method: 'GET', target, headers: [] });
          expect({ target, status: r.status }).toEqual({ target, status: 402 });
        }
        expect(app.runs.paid).toBe(0);
      } finally {
        await app.close();
      }
    });
  }
});

describe.each(SURFACES)('%s: hostile Host headers', (surface) => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(surface);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a realm taken from the Host header holds no |, quote or backslash (400, no challenge)', async () => {
    for (const host of ['a|b', 'a"b', 'a\\b']) {
      const r = await rawRequest(app.port, { method: 'GET', target: '/paid/1', headers: [['Host', host]] });
      // Node itself refuses some of these; either way, no challenge for such a realm is ever issued.
      expect([400]).toContain(r.status);
      expect(r.headers.get('www-authenticate')).toBeUndefined();
    }
    const fine = await rawRequest(app.port, {
      method: 'GET',
      target: '/paid/1',
      headers: [['Host', 'api.example.com:8443']],
    });
    expect(fine.status).toBe(402);
    expect(fine.headers.get('www-authenticate')!.join()).toContain('realm="api.example.com"');
  });

  it('a Host no URL can hold never fails a mounted route (no 500) nor moves its path', async () => {
    for (const host of ['a b', '0@!', 'x/mpp/v1/other?', '\u00e9']) {
      const r = await rawRequest(app.port, { method: 'GET', target: '/mpp/ping', headers: [['Host', host]] });
      if (r.status === 400 && r.body === '') continue; // Node's own parser refused it
      expect({ host, status: r.status }).toEqual({ host, status: 200 });
      expect(r.body).toContain('pong');
    }
  });

  it('TRACE on a mounted route is a 404 problem, not a 500 (a Fetch Request cannot carry it)', async () => {
    const r = await rawRequest(app.port, { method: 'TRACE', target: '/mpp/ping', headers: [] });
    expect(r.status).toBeLessThan(500);
  });

  it('a mounted route refusing a request (body over the limit) answers its problem, on every framework', async () => {
    const r = await rawRequest(app.port, {
      method: 'POST',
      target: '/mpp/echo',
      headers: [['Content-Type', 'application/octet-stream']],
      body: new Uint8Array(70 * 1024).fill(0x61),
    });
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')?.[0]).toMatch(/^application\/problem\+json/);
  });
});

describe('standalone broker: merchant registration needs a key HitPay accepts', () => {
  let sandbox: Sandbox;
  let running: RunningBroker;
  beforeAll(async () => {
    sandbox = await startSandbox({ autoCreateBusinesses: false, businesses: [{ apiKey: 'test_real_key' }] });
    running = await startBroker({
      port: 0,
      database: 'memory://',
      secretKey: BROKER_SECRET,
      reconcileIntervalMs: 0,
      hitpayBaseUrls: [sandbox.url],
    });
  });
  afterAll(async () => {
    await running?.close();
    await sandbox?.close();
  });

  const register = (key: string, secrets = ['security-registration-secret-0123456789']) =>
    fetch(`${running.url}/v1/merchants/self`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ challenge_secrets: secrets, webhook_salt: 's', hitpay_base_url: sandbox.url }),
    });

  it('a made-up key is 401 and stores nothing; a real one registers, and may update its secrets', async () => {
    for (const key of ['test_made_up', 'anything-at-all', 'x'.repeat(300)]) {
      const res = await register(key);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(key);
    }
    const { rows } = await running.broker.database.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM merchants',
    );
    expect(rows[0]!.n).toBe(0);
    const ok = await register('test_real_key');
    expect(await ok.json()).toEqual({ merchant_id: merchantIdFor('test_real_key') });
    // Known merchants re-register without asking HitPay again (instances restart often).
    const calls = sandbox.stats.requests;
    expect((await register('test_real_key', ['rotated-secret-0123456789abcdefghijkl'])).status).toBe(200);
    expect(sandbox.stats.requests).toBe(calls);
  });
});

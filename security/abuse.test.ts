/**
 * Abuse limits.
 * - Opening checkout links cannot create unbounded HitPay payment requests: per client address,
 *   per merchant and per challenge (attempts), all configurable; a refused open leaves no row.
 *   Rotating X-Forwarded-For or sending X-Mpp-Remote-Address does not buy a fresh budget.
 * - Issuing 402s stays CPU-only under a flood: no HitPay call, no broker call, no storage write.
 * - The body hashed for the digest binding is bounded (`maxBodyBytes` → 413) on every adapter.
 */
import { MppConfigError } from '@hit-pay/mpp';
import { base64url, type Challenge } from '@hit-pay/mpp/protocol';
import { createBroker, type MppBroker } from '@hit-pay/mpp-broker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SURFACES, startApp } from './support/apps.ts';
import { challengeOf, openCheckout, payOnce } from './support/pay.ts';
import { rawExchange, rawRequest } from './support/raw-http.ts';
import { BROKER_SECRET, count, startWorld, storageFingerprint, type World } from './support/world.ts';

const PR_CREATES = 'POST /v1/payment-requests';

async function freshChallenges(w: World, n: number, path = '/forecast'): Promise<Challenge[]> {
  const out: Challenge[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${w.api.url}${path}/${i}`);
    await res.arrayBuffer();
    out.push(challengeOf(res));
  }
  return out;
}

const checkoutLink = (w: World, c: Challenge) =>
  `${w.api.url}/mpp/v1/checkout/${base64url.encode(JSON.stringify(c))}`;

describe('checkout rate limits', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({
      broker: {
        rateLimits: {
          checkoutPerAddress: { limit: 5, windowMs: 60_000 },
          checkoutPerMerchant: { limit: 8, windowMs: 60_000 },
          createAttemptsPerChallenge: 3,
        },
      },
    });
  });
  afterAll(async () => {
    await w?.close();
  });
  const created = () => w.sandbox.stats.created.paymentRequests;

  it('per client address: the 6th new checkout within the window is 429 with Retry-After, and leaves nothing', async () => {
    const before = created();
    const statuses: number[] = [];
    for (const c of await freshChallenges(w, 7)) {
      const res = await fetch(checkoutLink(w, c), { headers: { accept: 'application/json' } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(created() - before).toBe(5);
    expect(await count(w.broker, 'charges')).toBe(5);
  });

  it('one challenge opened many times, and at once, makes one payment request (and does not spend the budget)', async () => {
    w.clock.advance(61_000); // a new window
    const [c] = await freshChallenges(w, 1, '/report');
    const before = created();
    const views = await Promise.all(Array.from({ length: 20 }, () => openCheckout(w, c!)));
    expect(new Set(views.map((v) => v.payment_request_id)).size).toBe(1);
    expect(created() - before).toBe(1);
  });

  it('a client cannot pick its own address: rotating X-Mpp-Remote-Address or X-Forwarded-For does not help', async () => {
    w.clock.advance(61_000);
    const before = created();
    const statuses: number[] = [];
    let i = 0;
    for (const c of await freshChallenges(w, 7)) {
      const r = await rawRequest(w.api.port, {
        method: 'GET',
        target: new URL(checkoutLink(w, c)).pathname,
        headers: [
          ['Accept', 'application/json'],
          ['X-Mpp-Remote-Address', `10.0.0.${++i}`],
          ['X-Forwarded-For', `10.1.0.${i}`],
        ],
      });
      statuses.push(r.status!);
    }
    expect(statuses.filter((s) => s === 429).length).toBe(2);
    expect(created() - before).toBe(5);
  });

  it('behind a trusted proxy, the address is the one the proxy appended (the last X-Forwarded-For entry)', async () => {
    const proxied = await startWorld({
      sharedSandbox: w.sandbox,
      engine: { trustProxy: true },
      broker: { rateLimits: { checkoutPerAddress: { limit: 3, windowMs: 60_000 } } },
    });
    try {
      const statuses: number[] = [];
      let i = 0;
      for (const c of await freshChallenges(proxied, 5)) {
        // The client invents the first entries; the proxy appends the address it saw: 203.0.113.7.
        const r = await rawRequest(proxied.api.port, {
          method: 'GET',
          target: new URL(checkoutLink(proxied, c)).pathname,
          headers: [
            ['Accept', 'application/json'],
            ['X-Forwarded-For', `198.51.100.${++i}, 203.0.113.7`],
          ],
        });
        statuses.push(r.status!);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const { rows } = await proxied.broker.database.query<{ key: string }>('SELECT key FROM rate_limits');
      expect(rows.map((r) => r.key)).toContain('checkout:addr:203.0.113.7');
    } finally {
      await proxied.close();
    }
  });

  it('per merchant (no client address, as through the Fetch API): the 9th checkout in a window is 429', async () => {
    w.clock.advance(61_000);
    const statuses: number[] = [];
    for (const c of await freshChallenges(w, 9)) {
      const res = await w.broker.fetch(
        new Request('http://api.local/mpp/v1/charges', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ challenge: c }),
        }),
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    expect(statuses[8]).toBe(429);
  });

  it('per challenge: while HitPay fails, opening one checkout creates at most 3 times (each POST retried ≤ 2 times after a lookup)', async () => {
    w.clock.advance(61_000);
    const [c] = await freshChallenges(w, 1, '/report');
    w.sandbox.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error=503', count: 0 });
    const calls = () => w.sandbox.stats.calls[PR_CREATES] ?? 0;
    const before = calls();
    const statuses: number[] = [];
    const posts: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${w.api.url}/mpp/v1/charges`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ challenge: c }),
        });
        statuses.push(res.status);
        posts.push(calls() - before);
        await res.arrayBuffer();
      }
    } finally {
      w.sandbox.clearFaults();
    }
    expect(statuses).toEqual([503, 503, 503, 429, 429, 429]);
    // 3 opens × (1 POST + 2 retries, each after a lookup by reference), then nothing more.
    expect(posts[2]).toBeLessThanOrEqual(9);
    expect(posts[5]).toBe(posts[2]);
  });

  it('limits are configuration: validated at start-up, and `false` turns one off', async () => {
    await expect(
      createBroker({
        database: 'memory://',
        secretKey: BROKER_SECRET,
        rateLimits: { checkoutPerAddress: { limit: 0, windowMs: 1 } },
      }),
    ).rejects.toBeInstanceOf(MppConfigError);
    await expect(
      createBroker({
        database: 'memory://',
        secretKey: BROKER_SECRET,
        rateLimits: { createAttemptsPerChallenge: 0 },
      }),
    ).rejects.toBeInstanceOf(MppConfigError);
    const open = await startWorld({
      sharedSandbox: w.sandbox,
      broker: { rateLimits: { checkoutPerAddress: false } },
    });
    try {
      const statuses: number[] = [];
      for (const c of await freshChallenges(open, 25)) {
        const res = await fetch(checkoutLink(open, c), { headers: { accept: 'application/json' } });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
    } finally {
      await open.close();
    }
  });
});

describe('a flood of unpaid requests', () => {
  let w: World;
  const brokerCalls: string[] = [];
  beforeAll(async () => {
    w = await startWorld({
      wrapBroker: (broker) =>
        new Proxy(broker, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              brokerCalls.push(String(key));
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        }) as MppBroker,
    });
    // One genuine payment first: the broker is up, the merchant registered, keys loaded.
    const paid = await payOnce(w, '/forecast/0');
    expect(
      (await fetch(`${w.api.url}/forecast/0`, { headers: { authorization: paid.credential } })).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await w?.close();
  });

  it('2,000 requests at concurrency 100 get 402s with no HitPay call, no broker call and no storage write', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const fingerprint = await storageFingerprint(w.broker);
    const hitpayRequests = w.sandbox.stats.requests;
    brokerCalls.length = 0;
    const paths = ['/forecast/1', '/report/2', '/hourly/3', '/failing', '/forecast/4?x=1'];
    let next = 0;
    const statuses = new Map<number, number>();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < 2000) {
          const i = next++;
          const res = await fetch(`${w.api.url}${paths[i % paths.length]}`, {
            headers: i % 7 === 0 ? { authorization: 'Payment e30' } : {},
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const ms = performance.now() - started;
    expect(Object.fromEntries(statuses)).toEqual({ 402: 2000 });
    expect(w.sandbox.stats.requests).toBe(hitpayRequests);
    expect(brokerCalls).toEqual([]);
    expect(await storageFingerprint(w.broker)).toBe(fingerprint);
    console.info(`402 flood: 2000 requests, concurrency 100, ${Math.round(ms)} ms`);
  });
});

describe.each(SURFACES)('%s: the body hashed for the digest is bounded', (surface) => {
  const LIMIT = 1024;
  it(`maxBodyBytes ${LIMIT}: over it is 413 (declared or chunked), at it is 402, a 20 MiB upload is cut short`, async () => {
    const app = await startApp(surface, { engine: { maxBodyBytes: LIMIT } });
    try {
      const post = (bytes: number) =>
        rawRequest(app.port, {
          method: 'POST',
          target: '/orders',
          headers: [['Content-Type', 'application/json']],
          body: new TextEncoder().encode(`{"a":"${'a'.repeat(bytes - 8)}"}`),
        });
      const at = await post(LIMIT);
      expect(at.status).toBe(402);
      const over = await post(LIMIT + 1);
      expect(over.status).toBe(413);
      expect(over.headers.get('www-authenticate')).toBeUndefined();
      const chunk = Buffer.alloc(512, 0x61);
      const parts = [
        Buffer.from(
          'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
        ),
      ];
      for (let i = 0; i < 4; i++) parts.push(Buffer.from('200\r\n'), chunk, Buffer.from('\r\n'));
      parts.push(Buffer.from('0\r\n\r\n'));
      const chunked = await rawExchange(app.port, Buffer.concat(parts));
      // Express, Koa, Fastify and the Fetch API hash it (413); Nest's own body parser may refuse first.
      expect([413, 400]).toContain(chunked.status);
      const started = performance.now();
      const huge = await rawExchange(
        app.port,
        Buffer.concat([
          Buffer.from(
            `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${20 * 1024 * 1024}\r\nConnection: close\r\n\r\n`,
          ),
          Buffer.alloc(20 * 1024 * 1024, 0x20),
        ]),
        10_000,
      );
      expect(huge.status === undefined || huge.status === 413 || huge.status === 400).toBe(true);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(app.runs.orders).toBe(0);
      expect((await rawRequest(app.port, { method: 'GET', target: '/free', headers: [] })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { REDIS_URL, serviceAvailable } from '../../../test-support/services.ts';
import { createMpp, type MppOptions } from '../fetch.js';
import { formatCredential, MppConfigError, parseChallenges } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { RedisStore } from './redis-store.js';
import { MemoryStore, type Store } from './store.js';

const SECRET = 'mpp-conformance-secret-0123456789abcdef';
const T0 = Date.UTC(2026, 8, 15, 12, 0, 0);

function setup(extra: Partial<MppOptions> = {}) {
  let now = T0;
  const method = testMethod();
  const mpp = createMpp({
    methods: [method],
    secretKey: SECRET,
    clock: () => now,
    realm: 'api.example.com',
    rateLimit: { max: 3, windowSeconds: 60, key: (req) => req.header('x-client') },
    ...extra,
  });
  let runs = 0;
  const handler = mpp.protect({ amount: '1.00', currency: 'SGD' }, async () => {
    runs++;
    return Response.json({ ok: true });
  });
  return {
    method,
    handler,
    runs: () => runs,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const get = (client?: string, headers: Record<string, string> = {}) =>
  new Request('https://api.example.com/r', {
    headers: client === undefined ? headers : { 'x-client': client, ...headers },
  });

async function expect429(res: Response, retryAfter: string) {
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe(retryAfter);
  expect(res.headers.get('www-authenticate')).toBeNull();
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.json()).toMatchObject({
    type: 'https://mpp.hitpay.dev/problems/rate-limited',
    status: 429,
  });
}

describe('rate limit (R52)', () => {
  it('counts 402 issuance and verification per client; past the limit 429 + Retry-After, no challenge', async () => {
    const { handler, runs, method, advance } = setup();
    const first = await handler(get('a'), {});
    expect(first.status).toBe(402);
    const c = parseChallenges(first.headers.get('www-authenticate')!)[0]!;
    expect((await handler(get('a'), {})).status).toBe(402);
    const credential = formatCredential({ challenge: c, payload: { proof: 'ok-1' } });
    expect((await handler(get('a', { authorization: credential }), {})).status).toBe(200);
    advance(20_000);
    await expect429(await handler(get('a'), {}), '40');
    // A credential counts as well: it is refused before anything is verified.
    const c2 = parseChallenges((await handler(get('b'), {})).headers.get('www-authenticate')!)[0]!;
    const paying = formatCredential({ challenge: c2, payload: { proof: 'ok-2' } });
    await expect429(await handler(get('a', { authorization: paying }), {}), '40');
    expect(runs()).toBe(1);
    expect(method.stats.verifyCalls).toBe(1);
    // Other clients have their own window; the window ends and counting restarts.
    expect((await handler(get('b', { authorization: paying }), {})).status).toBe(200);
    advance(40_000);
    expect((await handler(get('a'), {})).status).toBe(402);
  });

  it('a request without a key is not limited (the Fetch API knows no client address)', async () => {
    const { handler } = setup({ rateLimit: { max: 1, windowSeconds: 60 } });
    for (let i = 0; i < 5; i++) expect((await handler(get(), {})).status).toBe(402);
  });

  it('a store that cannot count → 503, fail closed, no challenge', async () => {
    const m = new MemoryStore();
    const broken: Store = {
      claim: m.claim.bind(m),
      release: m.release.bind(m),
      extend: m.extend.bind(m),
      increment: async () => {
        throw new Error('connection refused');
      },
    };
    const { handler, runs } = setup({ store: broken, idempotency: false });
    const res = await handler(get('a'), {});
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(runs()).toBe(0);
  });

  it('validation at start-up; off by default', () => {
    const base = { methods: [testMethod()], secretKey: SECRET };
    expect(createMpp(base).engine.options.rateLimit).toBeUndefined();
    expect(createMpp({ ...base, rateLimit: false }).engine.options.rateLimit).toBeUndefined();
    const ok = createMpp({ ...base, rateLimit: { max: 10, windowSeconds: 1 } }).engine.options.rateLimit!;
    expect(ok.windowMs).toBe(1000);
    expect(ok.key({ remoteAddress: '203.0.113.9' } as never)).toBe('203.0.113.9');
    for (const bad of [
      { max: 0, windowSeconds: 1 },
      { max: 1.5, windowSeconds: 1 },
      { max: 1, windowSeconds: 0 },
      { max: 1, windowSeconds: 86_401 },
      { max: 1, windowSeconds: 1, key: 'ip' },
      true,
    ]) {
      expect(() => createMpp({ ...base, rateLimit: bad as never })).toThrow(MppConfigError);
    }
    const m = new MemoryStore();
    const noCounter: Store = { claim: m.claim.bind(m), release: m.release.bind(m), extend: m.extend.bind(m) };
    expect(() =>
      createMpp({ ...base, store: noCounter, idempotency: false, rateLimit: { max: 1, windowSeconds: 1 } }),
    ).toThrow(/option "rateLimit" needs a store with increment\(\)/);
  });
});

const redisUp = await serviceAvailable('redis');

describe.skipIf(!redisUp)('rate limit over RedisStore (real Redis at 127.0.0.1:6379)', () => {
  it('two engines sharing one Redis share one window per client', async () => {
    const prefix = `mpp-test-rl:${process.pid}:${Date.now()}:`;
    const stores = [0, 1].map(() => new RedisStore({ client: REDIS_URL, keyPrefix: prefix }));
    try {
      const handlers = stores.map((store) => setup({ store }).handler);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await handlers[i % 2]!(get('shared'), {})).status);
      expect(statuses).toEqual([402, 402, 402, 429, 429, 429]);
      expect((await handlers[0]!(get('other'), {})).status).toBe(402);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});

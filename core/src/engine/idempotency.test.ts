import { describe, expect, it, vi } from 'vitest';
import { createMpp, fromFetchRequest, type MppOptions } from '../fetch.js';
import {
  type Challenge,
  formatCredential,
  MppConfigError,
  parseChallenges,
  parseReceipt,
} from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { idempotencyKeyOf } from './idempotency.js';
import { MemoryStore, type Store } from './store.js';
import type { MppRequest, PassDecision, RespondDecision } from './types.js';

const SECRET = 'mpp-conformance-secret-0123456789abcdef';
const T0 = Date.UTC(2026, 8, 15, 12, 0, 0);
const ORDER = '{"item":"widget"}';

function setup(extra: Partial<MppOptions> = {}) {
  let now = T0;
  const method = testMethod();
  const mpp = createMpp({
    methods: [method],
    secretKey: SECRET,
    clock: () => now,
    realm: 'api.example.com',
    ...extra,
  });
  let runs = 0;
  let status = 201;
  let gate: Promise<void> | undefined;
  const handler = mpp.protect({ amount: '5.00', currency: 'SGD' }, async (req, ctx) => {
    runs++;
    await gate;
    if (status >= 300) return new Response('nope', { status });
    return Response.json(
      { run: runs, order: req.body ? await req.json() : null, reference: ctx.payment.reference },
      { status, headers: { 'x-order': `o-${runs}` } },
    );
  });
  return {
    method,
    handler,
    runs: () => runs,
    setStatus: (s: number) => {
      status = s;
    },
    hold() {
      let open!: () => void;
      gate = new Promise<void>((r) => {
        open = r;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const post = (headers: Record<string, string> = {}, body = ORDER, method = 'POST') =>
  new Request('https://api.example.com/orders', { method, body, headers });

async function challengeFor(
  handler: ReturnType<typeof setup>['handler'],
  method = 'POST',
): Promise<Challenge> {
  const res = await handler(post({}, ORDER, method), {});
  expect(res.status).toBe(402);
  return parseChallenges(res.headers.get('www-authenticate')!)[0]!;
}

const pay = (c: Challenge, proof = 'ok-1') => formatCredential({ challenge: c, payload: { proof } });
const problemOf = async (res: Response) => (await res.json()) as { type: string; status: number };
/** Lets background record writes (a clone read, a store write) finish. */
const settle = () => new Promise((r) => setTimeout(r, 10));

describe('Idempotency-Key (R47)', () => {
  it('a repeat with the same key and credential gets the original response; the handler runs once', async () => {
    const { handler, runs, method } = setup();
    const c = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': '"order-1"' };
    const first = await handler(post(headers), {});
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    await settle();
    for (let i = 0; i < 3; i++) {
      const again = await handler(post(headers), {});
      expect(again.status).toBe(201);
      expect(await again.text()).toBe(firstBody);
      expect(again.headers.get('payment-receipt')).toBe(first.headers.get('payment-receipt'));
      expect(again.headers.get('cache-control')).toContain('private');
      expect(again.headers.get('x-order')).toBe('o-1');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(parseReceipt(first.headers.get('payment-receipt')!).challengeId).toBe(c.id);
    expect(runs()).toBe(1);
    expect(method.stats).toMatchObject({ verifyCalls: 1, commits: 1, releases: 0 });
  });

  it('the sf-string and the bare form name the same key', async () => {
    const { handler, runs } = setup();
    const c = await challengeFor(handler);
    await handler(post({ authorization: pay(c), 'idempotency-key': '"k-1"' }), {});
    await settle();
    const again = await handler(post({ authorization: pay(c), 'idempotency-key': 'k-1' }), {});
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(runs()).toBe(1);
  });

  it('PUT, PATCH and DELETE replay too; GET ignores the header (a repeat is refused as before, R27)', async () => {
    for (const verb of ['PUT', 'PATCH', 'DELETE']) {
      const { handler, runs } = setup();
      const c = await challengeFor(handler, verb);
      const headers = { authorization: pay(c), 'idempotency-key': 'k' };
      expect((await handler(post(headers, ORDER, verb), {})).status).toBe(201);
      await settle();
      expect((await handler(post(headers, ORDER, verb), {})).headers.get('idempotent-replayed')).toBe('true');
      expect(runs()).toBe(1);
    }
    const { handler, runs } = setup();
    const res = await handler(new Request('https://api.example.com/orders'), {});
    const c = parseChallenges(res.headers.get('www-authenticate')!)[0]!;
    const get = () =>
      new Request('https://api.example.com/orders', {
        headers: { authorization: pay(c), 'idempotency-key': 'k' },
      });
    expect((await handler(get(), {})).status).toBe(201);
    const again = await handler(get(), {});
    expect(again.status).toBe(402);
    expect((await problemOf(again)).type).toMatch(/invalid-challenge$/);
    expect(runs()).toBe(1);
  });

  it('a concurrent repeat while the first is in flight → 409 idempotency-conflict with Retry-After', async () => {
    const { handler, hold, runs } = setup();
    const c = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    const release = hold();
    const first = handler(post(headers), {});
    await settle();
    const second = await handler(post(headers), {});
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.headers.get('www-authenticate')).toBeNull();
    expect(second.headers.get('payment-receipt')).toBeNull();
    expect((await problemOf(second)).type).toBe('https://mpp.hitpay.dev/problems/idempotency-conflict');
    release();
    expect((await first).status).toBe(201);
    await settle();
    expect((await handler(post(headers), {})).headers.get('idempotent-replayed')).toBe('true');
    expect(runs()).toBe(1);
  });

  it('the same key with another credential → 422 idempotency-mismatch, nothing verified', async () => {
    const { handler, method } = setup();
    const c = await challengeFor(handler);
    await handler(post({ authorization: pay(c, 'ok-1'), 'idempotency-key': 'k' }), {});
    await settle();
    const res = await handler(post({ authorization: pay(c, 'ok-2'), 'idempotency-key': 'k' }), {});
    expect(res.status).toBe(422);
    expect((await problemOf(res)).type).toBe('https://mpp.hitpay.dev/problems/idempotency-mismatch');
    expect(res.headers.get('payment-receipt')).toBeNull();
    expect(method.stats.verifyCalls).toBe(1);
  });

  it('a non-2xx answer is not recorded: the retry runs the handler again (the payment was released)', async () => {
    const { handler, runs, setStatus, method } = setup();
    const c = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    setStatus(503);
    expect((await handler(post(headers), {})).status).toBe(503);
    await settle();
    setStatus(201);
    const retry = await handler(post(headers), {});
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(runs()).toBe(2);
    expect(method.stats).toMatchObject({ releases: 1, commits: 1 });
  });

  it("settlement: 'always' keeps the payment on a non-2xx, so that answer is the one replayed", async () => {
    const mpp = createMpp({ methods: [testMethod()], secretKey: SECRET, realm: 'api.example.com' });
    let runs = 0;
    const handler = mpp.protect(
      { price: { amount: '5.00', currency: 'SGD' }, settlement: 'always' },
      async () => new Response(`failed run ${++runs}`, { status: 502 }),
    );
    const c = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    expect(await (await handler(post(headers), {})).text()).toBe('failed run 1');
    await settle();
    const again = await handler(post(headers), {});
    expect(again.status).toBe(502);
    expect(await again.text()).toBe('failed run 1');
    expect(again.headers.get('payment-receipt')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });

  it('a refused credential does not hold the key: the same key then pays with a good one', async () => {
    const { handler, runs } = setup();
    const c = await challengeFor(handler);
    const bad = await handler(post({ authorization: pay(c, 'bad'), 'idempotency-key': 'k' }), {});
    expect((await problemOf(bad)).type).toMatch(/verification-failed$/);
    const pending = await handler(post({ authorization: pay(c, 'pending'), 'idempotency-key': 'k' }), {});
    expect((await problemOf(pending)).type).toMatch(/payment-action-required$/);
    const good = await handler(post({ authorization: pay(c), 'idempotency-key': 'k' }), {});
    expect(good.status).toBe(201);
    expect(runs()).toBe(1);
  });

  it('a body over maxBodyBytes is not kept: a repeat gets 409 idempotency-unavailable, not a second run', async () => {
    const { handler, runs } = setup({ idempotency: { maxBodyBytes: 8 } });
    const c = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    expect((await handler(post(headers), {})).status).toBe(201);
    await settle();
    const res = await handler(post(headers), {});
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      type: 'https://mpp.hitpay.dev/problems/idempotency-unavailable',
      originalStatus: 201,
    });
    expect(runs()).toBe(1);
  });

  it('a stored response outlives its challenge (for ttlSeconds); an unused expired credential is still refused', async () => {
    const { handler, runs, advance } = setup({ idempotency: { ttlSeconds: 3600 } });
    const c = await challengeFor(handler);
    const c2 = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    await handler(post(headers), {});
    await settle();
    advance(30 * 60_000);
    expect((await handler(post(headers), {})).headers.get('idempotent-replayed')).toBe('true');
    const unused = await handler(post({ authorization: pay(c2, 'ok-2'), 'idempotency-key': 'k' }), {});
    expect((await problemOf(unused)).type).toMatch(/payment-expired$/);
    advance(31 * 60_000);
    expect((await problemOf(await handler(post(headers), {}))).type).toMatch(/payment-expired$/);
    expect(runs()).toBe(1);
  });

  it('a malformed key → 400 bad-request with a fresh challenge; the handler does not run', async () => {
    const { handler, runs } = setup();
    const c = await challengeFor(handler);
    for (const key of ['', '"unterminated', 'a b', '"a", "b"', 'x'.repeat(256)]) {
      const res = await handler(post({ authorization: pay(c), 'idempotency-key': key }), {});
      expect(res.status).toBe(400);
      expect((await problemOf(res)).type).toMatch(/bad-request$/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Payment /);
    }
    expect(runs()).toBe(0);
  });

  it('idempotency: false keeps the plain replay guard (R27)', async () => {
    const { handler, runs } = setup({ idempotency: false });
    const c = await challengeFor(handler);
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    expect((await handler(post(headers), {})).status).toBe(201);
    const again = await handler(post(headers), {});
    expect(again.status).toBe(402);
    expect((await problemOf(again)).type).toMatch(/invalid-challenge$/);
    expect(runs()).toBe(1);
  });

  it('no Idempotency-Key: the paid decision carries no recorder (nothing buffered)', async () => {
    const mpp = createMpp({ methods: [testMethod()], secretKey: SECRET, realm: 'api.example.com' });
    const route = mpp.engine.route({ amount: '1.00', currency: 'SGD' });
    const first = await mpp.engine.decide(fromFetchRequest(post()), route);
    const c = parseChallenges((first as RespondDecision).headers[0]![1])[0]!;
    const paid = await mpp.engine.decide(fromFetchRequest(post({ authorization: pay(c) })), route);
    expect(paid.kind).toBe('pass');
    expect('record' in paid).toBe(false);
    const second = await mpp.engine.decide(fromFetchRequest(post()), route);
    const c2 = parseChallenges((second as RespondDecision).headers[0]![1])[0]!;
    const keyed = await mpp.engine.decide(
      fromFetchRequest(post({ authorization: pay(c2, 'ok-2'), 'idempotency-key': 'k' })),
      route,
    );
    expect((keyed as PassDecision).record).toBeDefined();
  });
});

describe('idempotencyKeyOf', () => {
  const reqWith = (method: string, key?: string) =>
    ({ method, header: (n: string) => (n === 'idempotency-key' ? key : undefined) }) as MppRequest;
  it('reads sf-strings (unescaping) and bare tokens on unsafe methods only', () => {
    expect(idempotencyKeyOf(reqWith('POST', '"8e03978e-40d5-43e8-bc93-6894a57f9324"'))).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(idempotencyKeyOf(reqWith('POST', '"a \\"b\\" \\\\c"'))).toBe('a "b" \\c');
    expect(idempotencyKeyOf(reqWith('DELETE', 'abc_123'))).toBe('abc_123');
    expect(idempotencyKeyOf(reqWith('GET', 'abc'))).toBeUndefined();
    expect(idempotencyKeyOf(reqWith('HEAD', '!!'))).toBeUndefined();
    expect(idempotencyKeyOf(reqWith('POST'))).toBeUndefined();
  });
  it('refuses empty, unquoted-with-space, bad escapes, non-ASCII and over-long keys', () => {
    for (const bad of ['""', 'a b', '"a\\b"', '"é"', 'é', `"${'x'.repeat(256)}"`]) {
      expect(() => idempotencyKeyOf(reqWith('POST', bad))).toThrow(/Idempotency-Key/);
    }
    expect(idempotencyKeyOf(reqWith('POST', `"${'x'.repeat(255)}"`))).toHaveLength(255);
  });
});

describe('idempotency options', () => {
  const claimsOnly = (): Store => {
    const m = new MemoryStore();
    return { claim: m.claim.bind(m), release: m.release.bind(m), extend: m.extend.bind(m) };
  };
  const base = { methods: [testMethod()], secretKey: SECRET };
  it('a store without get/add/set: explicit idempotency fails at start-up', () => {
    expect(() => createMpp({ ...base, store: claimsOnly(), idempotency: true })).toThrow(MppConfigError);
    expect(() => createMpp({ ...base, store: claimsOnly(), idempotency: { ttlSeconds: 60 } })).toThrow(
      /option "idempotency" needs a store with get\(\), add\(\) and set\(\)/,
    );
  });
  it('a store without get/add/set: the default turns it off, with a warning', () => {
    const warn = vi.fn();
    const logger = { debug() {}, info() {}, error() {}, warn };
    const mpp = createMpp({ ...base, store: claimsOnly(), logger });
    expect(mpp.engine.options.idempotency).toBeUndefined();
    expect(warn).toHaveBeenCalledWith({ option: 'idempotency' }, expect.stringMatching(/Idempotency-Key/));
  });
  it('defaults and validation', () => {
    expect(createMpp(base).engine.options.idempotency).toEqual({ ttlMs: 86_400_000, maxBodyBytes: 262_144 });
    expect(createMpp({ ...base, idempotency: false }).engine.options.idempotency).toBeUndefined();
    for (const bad of [
      { ttlSeconds: 0 },
      { ttlSeconds: 8 * 86_400 },
      { maxBodyBytes: -1 },
      { maxBodyBytes: 1.5 },
    ]) {
      expect(() => createMpp({ ...base, idempotency: bad })).toThrow(MppConfigError);
    }
    expect(() => createMpp({ ...base, idempotency: 'yes' as never })).toThrow(MppConfigError);
  });
});

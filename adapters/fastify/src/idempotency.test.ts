import { Readable } from 'node:stream';
import { createMpp, type MppOptions } from '@hit-pay/mpp';
import { type Challenge, formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { mppPlugin } from './index.js';

/**
 * Idempotency-Key (R47) and the rate limit (R52) through Fastify: `reply.send` ends on
 * `reply.raw`, where the engine's Node bridge records the response a repeat gets back.
 */

const secretKey = 'fastify-adapter-test-secret-0123456789abcdef';
const price = { amount: '5.00', currency: 'SGD' };
const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function build(extra: Partial<MppOptions> = {}) {
  const method = testMethod();
  const mpp = createMpp({ methods: [method], secretKey, requireTls: false, ...extra });
  const app = Fastify();
  apps.push(app);
  await app.register(mppPlugin, { mpp });
  let runs = 0;
  let status = 201;
  let gate: Promise<void> | undefined;
  app.post('/orders', { config: { mpp: price } }, async (request, reply) => {
    const run = ++runs;
    await gate;
    reply.code(status).header('x-run', String(run));
    return { run, order: request.body, reference: request.mpp?.reference };
  });
  app.put('/stream/:id', { config: { mpp: price } }, async (_request, reply) => {
    const run = ++runs;
    reply.type('text/plain');
    return reply.send(Readable.from([`chunk-a-${run} `, `chunk-b-${run}`]));
  });
  const send = (url: string, headers: Record<string, string> = {}, method: 'POST' | 'PUT' = 'POST') =>
    app.inject({
      method,
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: '{"n":1}',
    });
  const challenge = async (url = '/orders', verb: 'POST' | 'PUT' = 'POST'): Promise<Challenge> => {
    const res = await send(url, {}, verb);
    expect(res.statusCode).toBe(402);
    return parseChallenges(String(res.headers['www-authenticate']))[0]!;
  };
  return {
    app,
    method,
    send,
    challenge,
    runs: () => runs,
    setStatus: (s: number) => {
      status = s;
    },
    hold() {
      let open!: () => void;
      gate = new Promise<void>((r) => {
        open = r;
      });
      return open;
    },
  };
}

const pay = (c: Challenge, proof = 'ok-1') => formatCredential({ challenge: c, payload: { proof } });
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('Idempotency-Key through Fastify', () => {
  it('reply.send (JSON): a repeat gets the same status, body and receipt; the handler ran once', async () => {
    const t = await build();
    const c = await t.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': '"order-42"' };
    const first = await t.send('/orders', headers);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ run: 1, order: { n: 1 }, reference: 'test_ref_1' });
    await tick();
    const again = await t.send('/orders', headers);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers['payment-receipt']).toBe(first.headers['payment-receipt']);
    expect(again.headers['cache-control']).toContain('private');
    expect(again.headers['x-run']).toBe('1');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(t.runs()).toBe(1);
    expect(t.method.stats).toMatchObject({ verifyCalls: 1, commits: 1 });
  });

  it('a streamed reply is recorded whole', async () => {
    const t = await build();
    const c = await t.challenge('/stream/1', 'PUT');
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    const first = await t.send('/stream/1', headers, 'PUT');
    expect(first.body).toBe('chunk-a-1 chunk-b-1');
    await tick();
    const again = await t.send('/stream/1', headers, 'PUT');
    expect(again.body).toBe('chunk-a-1 chunk-b-1');
    expect(again.headers['content-type']).toMatch(/^text\/plain/);
    expect(t.runs()).toBe(1);
  });

  it('409 while in flight, 422 for another credential, and a non-2xx is not recorded', async () => {
    const t = await build();
    const c = await t.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    const open = t.hold();
    const first = t.send('/orders', headers);
    await tick();
    const busy = await t.send('/orders', headers);
    expect(busy.statusCode).toBe(409);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json().type).toBe('https://mpp.hitpay.dev/problems/idempotency-conflict');
    expect(busy.headers['www-authenticate']).toBeUndefined();
    const other = await t.send('/orders', { authorization: pay(c, 'ok-2'), 'idempotency-key': 'k' });
    expect(other.statusCode).toBe(422);
    open();
    expect((await first).statusCode).toBe(201);
    expect(t.runs()).toBe(1);

    const c2 = await t.challenge();
    const failing = { authorization: pay(c2, 'ok-3'), 'idempotency-key': 'k2' };
    t.setStatus(500);
    expect((await t.send('/orders', failing)).statusCode).toBe(500);
    await tick();
    t.setStatus(200);
    const retry = await t.send('/orders', failing);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(t.runs()).toBe(3);
  });

  it('over real HTTP too (reply.raw is a socket-backed ServerResponse)', async () => {
    const t = await build();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const post = (headers: Record<string, string> = {}) =>
      fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"n":1}',
      });
    const unpaid = await post();
    const c = parseChallenges(unpaid.headers.get('www-authenticate')!)[0]!;
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    const first = await (await post(headers)).text();
    await tick();
    const again = await post(headers);
    expect(await again.text()).toBe(first);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(t.runs()).toBe(1);
  });
});

describe('rate limit through Fastify (R52)', () => {
  it('429 problem with Retry-After and no challenge once a client is over the limit', async () => {
    const t = await build({ rateLimit: { max: 2, windowSeconds: 60 } });
    expect((await t.send('/orders')).statusCode).toBe(402);
    expect((await t.send('/orders')).statusCode).toBe(402);
    const limited = await t.send('/orders');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.headers['www-authenticate']).toBeUndefined();
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({
      type: 'https://mpp.hitpay.dev/problems/rate-limited',
      status: 429,
    });
    expect(t.runs()).toBe(0);
  });
});

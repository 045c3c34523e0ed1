/**
 * Real services failing under load.
 *
 * PostgreSQL: the broker runs on the shared server, in a schema of its own, its connections tagged
 * with an `application_name` of their own. Mid-load, every backend of that application is killed
 * with `pg_terminate_backend`, three times. This was chosen over restarting the server
 * (`pg_ctlcluster … restart`) because the server is shared with the other packages' tests and with
 * other engineers' runs: killing the broker's backends is what a restart does to the broker (every
 * connection dropped at once, in the middle of queries) without taking anyone else's down.
 * Requests must fail cleanly (a 503 problem with Retry-After, never a 500 or a hang) and the broker
 * must recover by itself: a full payment works afterwards, and nothing was paid or delivered twice.
 *
 * Redis: a private `redis-server` is started on a free port (the shared one is not ours to stop),
 * backing the replay store of an API; it is killed (SIGKILL) in the middle of a stream of paid
 * requests. The store fails closed: 503 `service-unavailable` with Retry-After, never a 200 for a
 * credential whose claim was not recorded; 402s keep flowing; a Redis started again is used again.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { createMpp, type Mpp } from '@hit-pay/mpp';
import { formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { RedisStore } from '@hit-pay/mpp/redis';
import { testMethod } from '@hit-pay/mpp/testing';
import { getRequestListener } from '@hono/node-server';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, serviceAvailable } from '../test-support/services.ts';
import { challengeOf, payOnce } from './support/pay.ts';
import { count, startWorld, type World } from './support/world.ts';

const pgUp = await serviceAvailable('postgres');
const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!pgUp)("PostgreSQL: the broker's connections are killed mid-load", () => {
  const app = `mpp-security-${process.pid}`;
  const schema = `mpp_sec_${process.pid}`;
  let w: World;
  let admin: pg.Client;
  beforeAll(async () => {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('application_name', app);
    w = await startWorld({
      database: url.toString(),
      schema,
      broker: { rateLimits: { checkoutPerAddress: false, checkoutPerMerchant: false } },
    });
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await w?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin?.end();
  });

  const kill = async () =>
    (
      await admin.query<{ n: number }>(
        'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [app],
      )
    ).rows[0]!.n;

  it('requests fail with a clean 503 (never a 500 or a hang) while connections die, and the broker recovers', async () => {
    // A paid charge waiting to be redeemed across the outage, and warm connections to kill.
    const pending = await payOnce(w, '/forecast/before');
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        try {
          const res = await fetch(`${w.api.url}/forecast/${i}`, { signal: AbortSignal.timeout(15_000) });
          await res.arrayBuffer();
          const c = challengeOf(res);
          // Opening the checkout writes (charge row, rate limits); polling it reads.
          for (const call of [
            () =>
              fetch(`${w.api.url}/mpp/v1/charges`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ challenge: c }),
                signal: AbortSignal.timeout(15_000),
              }),
            () => fetch(`${w.api.url}/mpp/v1/charges/${c.id}`, { signal: AbortSignal.timeout(15_000) }),
          ]) {
            const r = await call();
            const text = await r.text();
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            if (r.status >= 500 && r.status !== 503) bad.push(`${r.status} ${text.slice(0, 200)}`);
            if (r.status === 503) {
              if (!r.headers.get('retry-after')) bad.push(`503 without Retry-After: ${text.slice(0, 200)}`);
              if (!/problem\+json/.test(r.headers.get('content-type') ?? ''))
                bad.push(`503 not a problem: ${text}`);
            }
          }
        } catch (error) {
          bad.push(`request failed: ${(error as Error).message}`);
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      await sleep(400);
      killed += await kill();
    }
    await sleep(300);
    stop = true;
    await Promise.all(workers);
    expect(killed).toBeGreaterThan(0);
    expect(bad).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    console.info(
      `PostgreSQL: ${killed} backends killed; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );

    // Recovered: the paid charge redeems once, and a whole new payment works.
    const redeemed = await fetch(`${w.api.url}/forecast/before`, {
      headers: { authorization: pending.credential },
    });
    expect(redeemed.status).toBe(200);
    await sleep(50);
    expect(
      (await fetch(`${w.api.url}/forecast/before`, { headers: { authorization: pending.credential } }))
        .status,
    ).toBe(402);
    const after = await payOnce(w, '/forecast/after');
    expect(
      (await fetch(`${w.api.url}/forecast/after`, { headers: { authorization: after.credential } })).status,
    ).toBe(200);
    expect(w.runs.forecast).toBe(2);
    // One charge row per challenge, whatever was retried during the outage.
    const { rows } = await w.broker.database.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT id FROM charges GROUP BY merchant_id, id HAVING count(*) > 1) d',
    );
    expect(rows[0]!.n).toBe(0);
    for (let k = 0; k < 100 && (await count(w.broker, 'charges', "status = 'redeemed'")) < 2; k++)
      await sleep(20);
    expect(await count(w.broker, 'charges', "status = 'redeemed'")).toBe(2);
  });
});

/** Every private Redis started here, stopped in `afterAll` whatever a test did. */
const started: { stop(): void }[] = [];

/**
 * A private redis-server on a free port, a child of this process (not daemonized, so it is reaped
 * when killed); `stop()` kills it with SIGKILL.
 */
async function privateRedis(port?: number) {
  const p =
    port ??
    (await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port: free } = s.address() as AddressInfo;
        s.close(() => resolve(free));
      });
    }));
  const child = spawn(
    redisServer!,
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(p, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    await sleep(20);
  }
  const handle = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  started.push(handle);
  return handle;
}

describe.skipIf(!redisServer)("Redis: the replay store's server is killed mid-stream", () => {
  let redis: Awaited<ReturnType<typeof privateRedis>>;
  let store: RedisStore;
  let mpp: Mpp;
  let server: http.Server;
  let url: string;
  let runs = 0;
  beforeAll(async () => {
    redis = await privateRedis();
    store = new RedisStore({ client: redis.url, keyPrefix: 'mpp-security:' });
    mpp = createMpp({
      methods: [testMethod()],
      secretKey: 'security-redis-challenge-secret-0123456789abcdef',
      requireTls: false,
      store,
    });
    const paid = mpp.protect<unknown>({ amount: '1.00', currency: 'sgd' }, () => {
      runs++;
      return Response.json({ ok: true });
    });
    server = http.createServer(getRequestListener((req) => paid(req, {})));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    for (const r of started) r.stop();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  let proof = 0;
  async function attempt(
    path: string,
  ): Promise<{ status: number; replay: number; retryAfter: string | null; paidAt: number }> {
    const first = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    await first.arrayBuffer();
    expect(first.status).toBe(402); // issuing never touches the store
    const [challenge] = parseChallenges(first.headers.get('www-authenticate')!);
    const authorization = formatCredential({
      challenge: challenge as never,
      payload: { proof: `ok-${++proof}` },
    });
    const paidAt = performance.now();
    const res = await fetch(`${url}${path}`, {
      headers: { authorization },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    const replay = await fetch(`${url}${path}`, {
      headers: { authorization },
      signal: AbortSignal.timeout(10_000),
    });
    await replay.arrayBuffer();
    return { status: res.status, replay: replay.status, retryAfter: res.headers.get('retry-after'), paidAt };
  }

  it('fails closed (503 + Retry-After, never 200 unrecorded) while Redis is down, and recovers when it is back', async () => {
    const before: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await attempt(`/r/${i}`);
      before.push(r.status);
      expect(r.replay).toBe(402); // replay refused: the claim is in Redis
    }
    expect(before).toEqual([200, 200, 200, 200, 200]);

    // Kill Redis in the middle of a concurrent stream of paid requests.
    const outcomes: Awaited<ReturnType<typeof attempt>>[] = [];
    let stop = false;
    let i = 100;
    const stream = Array.from({ length: 6 }, async () => {
      while (!stop) outcomes.push(await attempt(`/r/${i++}`));
    });
    await sleep(150);
    redis.stop();
    const killedAt = performance.now();
    await sleep(1500);
    stop = true;
    await Promise.all(stream);
    // A paid request sent once Redis is gone (50 ms for the kill to land) is refused, never let through.
    const during = outcomes.filter((o) => o.paidAt > killedAt + 50);
    expect(during.length).toBeGreaterThan(10);
    for (const o of during) {
      expect(o.status).toBe(503);
      expect(Number(o.retryAfter)).toBeGreaterThan(0);
      expect(o.replay).not.toBe(200);
    }
    // Nothing ever paid twice: every handler run had its own fresh credential.
    const paid = outcomes.filter((o) => o.status === 200).length + before.length;
    expect(runs).toBe(paid);
    expect(outcomes.every((o) => o.replay !== 200)).toBe(true);

    // Back on the same port: the store reconnects and claims again.
    redis = await privateRedis(redis.port);
    let recovered = false;
    for (let k = 0; k < 50 && !recovered; k++) {
      const r = await attempt(`/r/after-${k}`);
      recovered = r.status === 200 && r.replay === 402;
      if (!recovered) await sleep(100);
    }
    expect(recovered).toBe(true);
    console.info(
      `Redis: ${outcomes.length} paid attempts during the stream, ${during.length} after the kill (all 503)`,
    );
  });

  it('with an ioredis client of your own (offline queue on), a dead Redis is a 503 within the command timeout, not a hang', async () => {
    const own = await privateRedis();
    const client = new Redis(own.url, { lazyConnect: false });
    client.on('error', () => {});
    const ownStore = new RedisStore({
      client: client as never,
      keyPrefix: 'mpp-security-own:',
      commandTimeoutMs: 1000,
    });
    const ownMpp = createMpp({
      methods: [testMethod()],
      secretKey: 'security-redis-challenge-secret-0123456789abcdef',
      requireTls: false,
      store: ownStore,
      realm: 'own.example',
    });
    const handler = ownMpp.protect<unknown>({ amount: '1.00', currency: 'sgd' }, () =>
      Response.json({ ok: true }),
    );
    const call = async (authorization?: string) =>
      handler(new Request('http://own.example/x', { headers: authorization ? { authorization } : {} }), {});
    try {
      const issued = await call();
      const [challenge] = parseChallenges(issued.headers.get('www-authenticate')!);
      const credential = (n: number) =>
        formatCredential({ challenge: challenge as never, payload: { proof: `ok-${900000 + n}` } });
      expect((await call(credential(1))).status).toBe(200);
      own.stop();
      await sleep(100);
      const again = await call();
      const [fresh] = parseChallenges(again.headers.get('www-authenticate')!);
      const started = performance.now();
      const res = await call(
        formatCredential({ challenge: fresh as never, payload: { proof: 'ok-900002' } }),
      );
      expect(res.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      own.stop();
      client.disconnect();
    }
  });
});

/**
 * The server side of the HTTP benchmarks, in a process of its own (forked by http.ts) so the load
 * generator and the server each have a core. Driven over IPC:
 *
 * - `start {framework}` → the bare app (with a 402 the adapter's engine decided once, for
 *   `GET /fixed402`) and the adapter app (test method), their ports;
 * - `test-credentials {n}` → `n` credentials for the adapter app's `GET /paid` (test method);
 * - `broker {database, n}` → an adapter app on an embedded broker (PGlite or PostgreSQL) with `n`
 *   seeded paid charges, its port and the credentials (see paid-fixture.ts for what is seeded);
 * - `cpu` → CPU time used since the previous `cpu` (to show whether the server was saturated);
 * - `close-broker`, `exit`.
 */
import { createMpp, type Mpp } from '@hit-pay/mpp';
import { testMethod } from '@hit-pay/mpp/testing';
import { PRICE, pregenerate, SECRET } from './fixtures.js';
import { type Framework, type RunningApp, startApp } from './http-apps.js';
import {
  type BrokerMpp,
  hostRequest,
  issueChallenges,
  seedPaidCharges,
  startBrokerMpp,
} from './paid-fixture.js';

interface Command {
  id: number;
  cmd: 'start' | 'test-credentials' | 'broker' | 'close-broker' | 'cpu' | 'exit';
  framework?: Framework;
  n?: number;
  database?: 'pglite' | 'postgres';
}

let framework: Framework;
let bare: RunningApp | undefined;
let ours: RunningApp | undefined;
let oursMpp: Mpp | undefined;
let brokered: { app: RunningApp; world: BrokerMpp } | undefined;
let lastCpu = process.cpuUsage();
let lastAt = process.hrtime.bigint();

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'start': {
      framework = c.framework!;
      oursMpp = createMpp({ methods: [testMethod()], secretKey: SECRET, requireTls: false });
      const engine = oursMpp.engine;
      const decided = await engine.decide(hostRequest('127.0.0.1', '/paid'), engine.route({ ...PRICE }));
      if (decided.kind !== 'respond') throw new Error(`expected a 402, got ${decided.kind}`);
      bare = await startApp(framework, undefined, decided);
      ours = await startApp(framework, oursMpp);
      return { bare: bare.port, ours: ours.port, pid: process.pid };
    }
    case 'test-credentials': {
      const engine = oursMpp!.engine;
      const route = engine.route({ ...PRICE });
      return pregenerate({ engine, route }, c.n!, hostRequest(`127.0.0.1:${ours!.port}`, '/paid'));
    }
    case 'broker': {
      const world = await startBrokerMpp(c.database!);
      const app = await startApp(framework, world.mpp);
      brokered = { app, world };
      const engine = world.mpp.engine;
      const challenges = await issueChallenges(
        engine,
        engine.route({ ...PRICE }),
        hostRequest(`127.0.0.1:${app.port}`, '/paid'),
        c.n!,
        'hitpay',
      );
      const credentials = await seedPaidCharges(world.broker.database, world.merchantId, challenges);
      return { port: app.port, credentials };
    }
    case 'close-broker': {
      if (!brokered) return null;
      const { rows } = await brokered.world.broker.database.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM charges GROUP BY status',
      );
      await brokered.app.close();
      await brokered.world.close();
      brokered = undefined;
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    }
    case 'cpu': {
      const cpu = process.cpuUsage(lastCpu);
      const now = process.hrtime.bigint();
      const wallUs = Number(now - lastAt) / 1000;
      lastCpu = process.cpuUsage();
      lastAt = now;
      return { utilization: (cpu.user + cpu.system) / wallUs, rssMb: process.memoryUsage().rss / 2 ** 20 };
    }
    case 'exit': {
      await bare?.close();
      await ours?.close();
      setImmediate(() => process.exit(0));
      return null;
    }
  }
}

process.on('message', (c: Command) => {
  handle(c).then(
    (result) => process.send!({ id: c.id, result }),
    (error: unknown) =>
      process.send!({ id: c.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
// The bench process went away (Ctrl-C, a crash): do not outlive it.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });

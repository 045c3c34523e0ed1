/**
 * Section 2, HTTP on loopback: autocannon (in this process) against one server process per
 * framework (http-server.ts), bare and with our adapter, in interleaved rounds. Paid routes spend
 * credentials generated before the timed window, one per request.
 */
import autocannon from 'autocannon';
import { type Child, forkHelper } from './child.js';
import { FRAMEWORKS, type Framework } from './http-apps.js';
import { summarize } from './stats.js';

export interface HttpRun {
  /** Requests per second: median of the rounds (2xx and non-2xx alike; see `statuses`). */
  median: number;
  min: number;
  max: number;
  rounds: number[];
  /** Latency of the median round, ms. */
  p50: number;
  p99: number;
  /** Status codes seen over all rounds. */
  statuses: Record<string, number>;
  errors: number;
  /** Server process CPU use during the rounds (1 = one core busy all the time). */
  serverCpu: number;
  /**
   * Server CPU time per request, µs (median of the rounds): less sensitive than req/s to other
   * processes competing for the machine, since time spent waiting for a core is not counted.
   */
  cpuUsPerRequest: number;
}

export interface HttpFramework {
  freeBare: HttpRun;
  freeOurs: HttpRun;
  auth401Bare: HttpRun;
  challenge402Ours: HttpRun;
  /** Diagnostic: the bare framework answering one precomputed 402 (the same bytes as ours). */
  fixed402Bare?: HttpRun;
  paidTest: HttpRun;
  paidPglite?: HttpRun & { charges: Record<string, number> };
  paidPostgres?: HttpRun & { charges: Record<string, number> };
}

export interface HttpResults {
  connections: number;
  durationS: number;
  rounds: number;
  frameworks: Partial<Record<Framework, HttpFramework>>;
}

interface Shot {
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  cpu: number;
}

async function shoot(
  server: Child,
  port: number,
  path: string,
  opts: { duration?: number; amount?: number; connections: number; credentials?: string[] },
): Promise<Shot> {
  const creds = opts.credentials;
  let i = 0;
  await server.call('cpu');
  // autocannon ends an `amount` run on its one-second tick, so its own duration is rounded up:
  // the rate is counted here, from the first request sent to the last response received.
  let responses = 0;
  let last = 0n;
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? 2 }),
    requests: [
      creds
        ? {
            method: 'GET',
            path,
            setupRequest: (req: { headers?: Record<string, string> }) => ({
              ...req,
              headers: { ...req.headers, authorization: creds[i++]! },
            }),
          }
        : { method: 'GET', path },
    ],
  });
  instance.on('response', () => {
    responses++;
    last = process.hrtime.bigint();
  });
  const result = await instance;
  const { utilization } = await server.call<{ utilization: number }>('cpu');
  if (creds && i > creds.length) throw new Error(`ran out of credentials (${creds.length})`);
  const seconds = Number(last - started) / 1e9;
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {}))
    statuses[code] = (s as { count: number }).count;
  return {
    rps: responses / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
    cpu: utilization,
  };
}

function toRun(shots: Shot[]): HttpRun {
  const s = summarize(shots.map((x) => x.rps));
  const mid = [...shots].sort((a, b) => a.rps - b.rps)[shots.length >> 1]!;
  const statuses: Record<string, number> = {};
  for (const shot of shots)
    for (const [k, v] of Object.entries(shot.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    median: s.median,
    min: s.min,
    max: s.max,
    rounds: s.rounds,
    p50: mid.p50,
    p99: mid.p99,
    statuses,
    errors: shots.reduce((n, x) => n + x.errors, 0),
    serverCpu: shots.reduce((n, x) => n + x.cpu, 0) / shots.length,
    cpuUsPerRequest: summarize(shots.map((x) => (x.cpu * 1e6) / x.rps)).median,
  };
}

export interface HttpOptions {
  quick?: boolean;
  frameworks?: readonly Framework[];
  /** Skip the broker-backed paid routes (no PostgreSQL, or a quick look). */
  broker?: boolean;
  log?: (line: string) => void;
}

export async function runHttp(options: HttpOptions = {}): Promise<HttpResults> {
  const log = options.log ?? (() => {});
  const quick = options.quick === true;
  const connections = 32;
  const duration = quick ? 1 : 2;
  const rounds = quick ? 1 : 5;
  const paidRounds = quick ? 1 : 3;
  const paidAmount = quick ? 3000 : 10_000;
  const out: HttpResults = { connections, durationS: duration, rounds, frameworks: {} };
  for (const fw of options.frameworks ?? FRAMEWORKS) {
    const server = await forkHelper('./http-server.ts');
    try {
      const { bare, ours } = await server.call<{ bare: number; ours: number }>('start', { framework: fw });
      const plan = [
        ['freeBare', bare, '/free'],
        ['freeOurs', ours, '/free'],
        ['auth401Bare', bare, '/paid'],
        ['challenge402Ours', ours, '/paid'],
        ['fixed402Bare', bare, '/fixed402'],
      ] as const;
      for (const [, port, path] of plan) await shoot(server, port, path, { duration: 1, connections });
      const shots: Record<string, Shot[]> = Object.fromEntries(plan.map(([name]) => [name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const [name, port, path] of plan) {
          shots[name]!.push(await shoot(server, port, path, { duration, connections }));
        }
      }
      const result = Object.fromEntries(
        plan.map(([name]) => [name, toRun(shots[name]!)]),
      ) as unknown as HttpFramework;
      log(
        `  ${fw}: free ${result.freeOurs.median.toFixed(0)}/${result.freeBare.median.toFixed(0)} req/s, ` +
          `402 ${result.challenge402Ours.median.toFixed(0)} vs 401 ${result.auth401Bare.median.toFixed(0)}`,
      );

      // Paid with the test method: warm-up, then rounds of `paidAmount` distinct credentials.
      const warm = 2000;
      const creds = await server.call<string[]>('test-credentials', { n: warm + paidRounds * paidAmount });
      await shoot(server, ours, '/paid', { amount: warm, connections, credentials: creds.slice(0, warm) });
      const paid: Shot[] = [];
      for (let r = 0; r < paidRounds; r++) {
        const slice = creds.slice(warm + r * paidAmount, warm + (r + 1) * paidAmount);
        paid.push(
          await shoot(server, ours, '/paid', { amount: paidAmount, connections, credentials: slice }),
        );
      }
      result.paidTest = toRun(paid);
      log(`  ${fw}: paid (test method) ${result.paidTest.median.toFixed(0)} req/s`);

      if (options.broker !== false) {
        for (const database of ['pglite', 'postgres'] as const) {
          const amount = database === 'pglite' ? (quick ? 500 : 1500) : quick ? 1000 : 4000;
          const w = Math.ceil(amount / 5);
          const b = await server.call<{ port: number; credentials: string[] }>('broker', {
            database,
            n: w + amount,
          });
          await shoot(server, b.port, '/paid', {
            amount: w,
            connections,
            credentials: b.credentials.slice(0, w),
          });
          const shot = await shoot(server, b.port, '/paid', {
            amount,
            connections,
            credentials: b.credentials.slice(w),
          });
          const charges = await server.call<Record<string, number>>('close-broker');
          const run = { ...toRun([shot]), charges };
          if (database === 'pglite') result.paidPglite = run;
          else result.paidPostgres = run;
          log(
            `  ${fw}: paid (embedded broker, ${database}) ${run.median.toFixed(0)} req/s, p99 ${run.p99} ms`,
          );
        }
      }
      out.frameworks[fw] = result;
    } finally {
      await server.call('exit').catch(() => undefined);
      await server.exited;
    }
  }
  return out;
}

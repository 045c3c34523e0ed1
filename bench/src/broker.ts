/**
 * Section 3, the embedded broker on PostgreSQL, in this process:
 *
 * - one-time redemptions: N concurrent agents each pay through the engine's paid path with the
 *   `hitpay` method (decide → redeem: SELECT + conditional UPDATE + Ed25519 receipt → finalize(200)
 *   → commit UPDATE, awaited). Charges are seeded paid first (paid-fixture.ts).
 * - saved-method charges: N agents, each with its own grant, call `chargeSavedMethod` against the
 *   HitPay sandbox (its own process, zero latency): grant check, reservation transaction, the
 *   HitPay charge over HTTP, paid update, receipt signature, receipt update.
 */
import { randomBytes } from 'node:crypto';
import type { MppRequest, PassDecision, RespondDecision } from '@hit-pay/mpp';
import { forkHelper } from './child.js';
import { engineRequest, TARGET } from './fixtures.js';
import { issueChallenges, seedPaidCharges, startBrokerMpp } from './paid-fixture.js';

export interface LoadLevel {
  agents: number;
  operations: number;
  /** Completed operations per second (for redemptions: committed, the clock stops after the last commit). */
  perSecond: number;
  /** Latency an agent sees, ms (redemptions: until the response may be written; saved charges: the call). */
  p50: number;
  p99: number;
  max: number;
  /** Redemptions only: latency until the payment is committed (`redeemed`), ms. */
  settledP50?: number;
  settledP99?: number;
  failures: number;
}

export interface BrokerResults {
  redemptions: LoadLevel[];
  /** Charge statuses after the run (every seeded charge should be `redeemed`). */
  chargeStatuses: Record<string, number>;
  savedCharges: LoadLevel[];
  savedChargeError?: string;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** Runs `total` operations with `agents` concurrent loops; latency in ms per operation. */
/**
 * Runs `total` operations with `agents` concurrent loops. An operation may return a promise of its
 * background completion (a payment's commit): the agent does not wait for it, the clock does.
 */
async function load(
  agents: number,
  total: number,
  op: (i: number, agent: number) => Promise<void | { background: Promise<void> }>,
): Promise<LoadLevel> {
  let next = 0;
  let failures = 0;
  const latencies: number[] = [];
  const settled: number[] = [];
  const background: Promise<void>[] = [];
  const started = process.hrtime.bigint();
  const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
  await Promise.all(
    Array.from({ length: agents }, async (_, agent) => {
      for (let i = next++; i < total; i = next++) {
        const t = process.hrtime.bigint();
        try {
          const done = await op(i, agent);
          latencies.push(ms(t));
          if (done) background.push(done.background.then(() => void settled.push(ms(t))));
        } catch {
          failures++;
        }
      }
    }),
  );
  await Promise.all(background);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  settled.sort((a, b) => a - b);
  return {
    agents,
    operations: total,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    ...(settled.length ? { settledP50: percentile(settled, 50), settledP99: percentile(settled, 99) } : {}),
    failures,
  };
}

const LEVELS = [1, 8, 64] as const;

async function redemptions(quick: boolean, log: (s: string) => void) {
  const world = await startBrokerMpp('postgres');
  try {
    const { engine } = world.mpp;
    const route = engine.route({ amount: '1.00', currency: 'SGD', description: 'Forecast' });
    const counts = quick ? { 1: 200, 8: 600, 64: 1000 } : { 1: 600, 8: 3000, 64: 5000 };
    const warm = 300;
    const total = warm + counts[1] + counts[8] + counts[64];
    const host = 'api.example.com';
    const base: MppRequest = { ...engineRequest(TARGET), protocol: 'http', host };
    const challenges = await issueChallenges(engine, route, base, total, 'hitpay');
    const creds = await seedPaidCharges(world.broker.database, world.merchantId, challenges);
    const reqs = creds
      .map((c) => engineRequest(TARGET, c))
      .map((r) => ({ ...r, protocol: 'http' as const, host }));
    let offset = 0;
    const pay = async (i: number) => {
      const d = (await engine.decide(reqs[offset + i]!, route)) as PassDecision | RespondDecision;
      if (d.kind !== 'pass') throw new Error(`refused: ${d.status} ${String(d.body)}`);
      d.finalize(200);
      // The response goes out now; the commit (`redeeming → redeemed`) finishes in the background.
      return { background: d.settled };
    };
    await load(8, warm, pay);
    offset = warm;
    const levels: LoadLevel[] = [];
    for (const agents of LEVELS) {
      const level = await load(agents, counts[agents], pay);
      offset += counts[agents];
      levels.push(level);
      log(`  redemptions, ${agents} agents: ${level.perSecond.toFixed(0)}/s, p99 ${level.p99.toFixed(1)} ms`);
    }
    const { rows } = await world.broker.database.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM charges GROUP BY status',
    );
    return { levels, statuses: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) };
  } finally {
    await world.close();
  }
}

async function savedCharges(quick: boolean, log: (s: string) => void): Promise<LoadLevel[]> {
  const sandbox = await forkHelper('./sandbox-child.ts');
  const hitpayBaseUrl = await sandbox.call<string>('url');
  const world = await startBrokerMpp('postgres', { hitpayBaseUrl });
  try {
    const { engine } = world.mpp;
    const route = engine.route({
      savedMethod: {
        currency: 'sgd',
        maxAmountPerCharge: '5.00',
        totalAmountCap: '1000000.00',
        perCallAmount: '0.50',
        customerEmail: 'payer@example.com',
      },
    });
    const host = 'api.example.com';
    const req: MppRequest = { ...engineRequest(TARGET), protocol: 'http', host };
    const call = (path: string, init?: RequestInit) =>
      world.broker.fetch(new Request(`http://broker.local${path}`, init));
    const grants: { grant: string; id: string; challengeId: string }[] = [];
    const [challenge] = await issueChallenges(engine, route, req, 1, 'hitpay-save');
    for (let g = 0; g < Math.max(...LEVELS); g++) {
      const res = await call('/v1/saved-payment-methods', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ challenge, payment_method: 'grabpay_direct' }),
      });
      const setup = (await res.json()) as Record<string, string>;
      if (res.status !== 201) throw new Error(`setup answered ${res.status}: ${JSON.stringify(setup)}`);
      const rb = new URL(setup.setup_checkout_url!).pathname.split('/').pop();
      const approved = await fetch(`${hitpayBaseUrl}/_sandbox/recurring-billing/${rb}/approve`, {
        method: 'POST',
      });
      if (!approved.ok) throw new Error(`sandbox approval answered ${approved.status}`);
      const view = (await (
        await call(`/v1/saved-payment-methods/${setup.saved_method_id}`, {
          headers: { 'x-setup-token': setup.setup_token! },
        })
      ).json()) as Record<string, string>;
      if (view.status !== 'active') throw new Error(`saved method is ${view.status}`);
      grants.push({ grant: view.saved_method_jws!, id: setup.saved_method_id!, challengeId: challenge!.id });
    }
    const charge = (agent: number) =>
      world.broker.chargeSavedMethod({
        merchantId: world.merchantId,
        grant: grants[agent]!.grant,
        savedMethodId: grants[agent]!.id,
        nonce: randomBytes(18).toString('base64url'),
        amount: '50',
        currency: 'sgd',
        requestHash: 'fK3m0vJb1Qw8aX2sY7rT5uN9pL4cE6hG0dZ1iO3kM8w',
        challengeId: grants[agent]!.challengeId,
        realm: host,
      });
    const counts = quick ? { 1: 100, 8: 400, 64: 800 } : { 1: 300, 8: 1500, 64: 3000 };
    await load(8, 100, async (_, agent) => {
      await charge(agent);
    });
    const levels: LoadLevel[] = [];
    for (const agents of LEVELS) {
      // Agent k always charges grant k: concurrent agents never contend on one saved method's row.
      const level = await load(agents, counts[agents], async (_, agent) => {
        await charge(agent);
      });
      levels.push(level);
      log(
        `  saved charges, ${agents} agents: ${level.perSecond.toFixed(0)}/s, p99 ${level.p99.toFixed(1)} ms`,
      );
    }
    return levels;
  } finally {
    await world.close();
    await sandbox.call('exit').catch(() => undefined);
    await sandbox.exited;
  }
}

export async function runBroker(
  options: { quick?: boolean; log?: (s: string) => void } = {},
): Promise<BrokerResults> {
  const log = options.log ?? (() => {});
  const quick = options.quick === true;
  const r = await redemptions(quick, log);
  const out: BrokerResults = { redemptions: r.levels, chargeStatuses: r.statuses, savedCharges: [] };
  try {
    out.savedCharges = await savedCharges(quick, log);
  } catch (error) {
    out.savedChargeError = error instanceof Error ? error.message : String(error);
    log(`  saved charges failed: ${out.savedChargeError}`);
  }
  return out;
}

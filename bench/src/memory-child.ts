/**
 * Runs in a process of its own with `--expose-gc` (forked by memory.ts), so nothing else's garbage
 * lands in the samples. Two experiments:
 *
 * 1. 1,000,000 402s through the engine (test method, static price), sampling heap and RSS after
 *    two full GCs every 100,000: challenges are stateless, so the curve must be flat.
 * 2. The memory replay store under churn: 2,000,000 single-use claims with a 2 s lifetime at
 *    100,000 claims per (simulated) second, then a store capped at 10,000 entries under the same
 *    load: size must stay bounded, and a full store refuses (fail closed) rather than evict.
 */
import { MemoryStore } from '@hit-pay/mpp';
import { benchEngine, engineRequest } from './fixtures.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('memory-child needs --expose-gc');

export interface MemorySample {
  at: number;
  heapUsedMb: number;
  rssMb: number;
  externalMb: number;
}

const mb = (n: number) => n / 2 ** 20;
function sample(at: number): MemorySample {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { at, heapUsedMb: mb(m.heapUsed), rssMb: mb(m.rss), externalMb: mb(m.external + m.arrayBuffers) };
}

async function challenges(total: number, every: number) {
  const { engine, route } = benchEngine();
  const req = engineRequest();
  for (let i = 0; i < 20_000; i++) await engine.decide(req, route);
  const samples = [sample(0)];
  const started = process.hrtime.bigint();
  for (let i = 1; i <= total; i++) {
    const d = await engine.decide(req, route);
    if (d.kind !== 'respond' || d.status !== 402) throw new Error('expected a 402');
    if (i % every === 0) samples.push(sample(i));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { total, seconds, samples };
}

async function churn() {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const perSecond = 100_000;
  const ttlMs = 2000;
  const seconds = 20;
  const store = new MemoryStore({ now: clock });
  const sizes: { second: number; size: number }[] = [];
  let refused = 0;
  let n = 0;
  for (let s = 1; s <= seconds; s++) {
    for (let i = 0; i < perSecond; i++) {
      now += 1000 / perSecond;
      if (!(await store.claim(`test:challenge:${++n}`, ttlMs))) refused++;
    }
    sizes.push({ second: s, size: store.size });
  }
  // Sampled while the store is still in use (it is read just after), so its live set is counted.
  const heapWithStoreMb = sample(0).heapUsedMb;
  const finalSize = store.size;
  // A capped store: when every entry is live, a new claim is refused (service-unavailable).
  const cap = 10_000;
  const capped = new MemoryStore({ now: clock, maxEntries: cap });
  let cappedRefused = 0;
  let cappedMax = 0;
  for (let i = 0; i < 50_000; i++) {
    now += 1000 / perSecond;
    try {
      await capped.claim(`k${i}`, ttlMs);
    } catch {
      cappedRefused++;
    }
    cappedMax = Math.max(cappedMax, capped.size);
  }
  return {
    perSecond,
    ttlMs,
    claims: n,
    refused,
    sizes,
    liveAtSteadyState: (perSecond * ttlMs) / 1000,
    finalSize,
    heapWithStoreMb,
    capped: { maxEntries: cap, claims: 50_000, refused: cappedRefused, maxSize: cappedMax },
  };
}

process.on('message', async (c: { id: number; total: number; every: number }) => {
  try {
    const result = { challenges: await challenges(c.total, c.every), store: await churn() };
    process.send!({ id: c.id, result });
  } catch (error) {
    process.send!({ id: c.id, error: error instanceof Error ? error.stack : String(error) });
  }
});
// The bench process went away (Ctrl-C, a crash): do not outlive it.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });

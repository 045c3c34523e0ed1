/** Section 4, memory: forks memory-child.ts with `--expose-gc` and judges the curves it returns. */
import { forkHelper } from './child.js';
import type { MemorySample } from './memory-child.js';

export interface MemoryResults {
  challenges: { total: number; seconds: number; samples: MemorySample[] };
  /** Heap and RSS after the last sample minus after the first (MB). */
  heapGrowthMb: number;
  rssGrowthMb: number;
  /** Least-squares slope of the heap over the run, bytes per 402. */
  heapSlopeBytesPer402: number;
  flat: boolean;
  store: {
    perSecond: number;
    ttlMs: number;
    claims: number;
    refused: number;
    sizes: { second: number; size: number }[];
    liveAtSteadyState: number;
    finalSize: number;
    /** Heap with the churned store (≈ its live set) still referenced, MB. */
    heapWithStoreMb: number;
    capped: { maxEntries: number; claims: number; refused: number; maxSize: number };
  };
  /** Largest store size seen after the first two lifetimes, over the expected live set. */
  storeOvershoot: number;
}

function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

export async function runMemory(options: { quick?: boolean } = {}): Promise<MemoryResults> {
  const total = options.quick ? 200_000 : 1_000_000;
  const child = await forkHelper('./memory-child.ts', ['--expose-gc']);
  try {
    const r = await child.call<Pick<MemoryResults, 'challenges' | 'store'>>('run', {
      total,
      every: total / 10,
    });
    const s = r.challenges.samples;
    // The first sample is taken after a warm-up; growth is judged from the first to the last.
    const heapGrowthMb = s[s.length - 1]!.heapUsedMb - s[0]!.heapUsedMb;
    const rssGrowthMb = s[s.length - 1]!.rssMb - s[0]!.rssMb;
    const heapSlopeBytesPer402 = slope(s.map((p) => ({ x: p.at, y: p.heapUsedMb * 2 ** 20 })));
    const steady = r.store.sizes.filter((p) => p.second * 1000 > 2 * r.store.ttlMs);
    const storeOvershoot = Math.max(...steady.map((p) => p.size)) / r.store.liveAtSteadyState;
    return {
      ...r,
      heapGrowthMb,
      rssGrowthMb,
      heapSlopeBytesPer402,
      // Flat: under 1 byte retained per 402 and under 2 MB over the whole run.
      flat: heapSlopeBytesPer402 < 1 && heapGrowthMb < 2,
      storeOvershoot,
    };
  } finally {
    child.process.kill();
    await child.exited;
  }
}

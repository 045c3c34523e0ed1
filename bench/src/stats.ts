/** Timing helpers: interleaved rounds, medians and ranges, ratios. */

export interface Sample {
  /** Median of the rounds, µs per operation. */
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function summarize(rounds: number[]): Sample {
  const sorted = [...rounds].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, rounds };
}

/** µs per call of `fn`, measured over `n` calls. `fn` may be async (then it is awaited). */
export async function timeOnce(fn: (i: number) => unknown, n: number, offset = 0): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = fn(offset + i);
    if (r instanceof Promise) await r;
  }
  return Number(process.hrtime.bigint() - start) / n / 1000;
}

/**
 * Runs several benchmarks in interleaved rounds (a, b, c, a, b, c, …) after a warm-up, so drift
 * in the machine (other processes, frequency scaling, GC) hits each of them alike.
 */
export async function interleave(
  cases: Record<string, { fn: (i: number) => unknown; setup?: () => Promise<void> | void }>,
  options: { rounds?: number; perRound?: number; warmup?: number } = {},
): Promise<Record<string, Sample>> {
  const rounds = options.rounds ?? 7;
  const perRound = options.perRound ?? 5000;
  const names = Object.keys(cases);
  for (const name of names) {
    await cases[name]!.setup?.();
    await timeOnce(cases[name]!.fn, options.warmup ?? perRound, 0);
  }
  const results: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names)
      results[name]!.push(await timeOnce(cases[name]!.fn, perRound, (r + 1) * perRound));
  }
  return Object.fromEntries(names.map((n) => [n, summarize(results[n]!)]));
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
export const ratio = (a: number, b: number): string => (b > 0 ? `${fmt(a / b, 2)}×` : '–');
export const pct = (n: number): string => `${fmt(n * 100, 0)}%`;

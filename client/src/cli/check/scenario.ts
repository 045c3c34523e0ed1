import type { Probe } from './probe.js';

/** How a scenario ended. `warn` and `skip` do not fail a run. */
export type Verdict = 'pass' | 'fail' | 'skip' | 'warn';

/** One row of `mpp test`'s report. */
export interface ScenarioResult {
  scenario: string;
  /** Requirement ids of `spec.md` §5 (R1–R66), or a named rule (`CORS`, `hitpay §7`). */
  requirements: string[];
  result: Verdict;
  detail: string;
}

/** A check that runs against a live server. */
export interface Scenario {
  name: string;
  requirements: readonly string[];
  /** Needs a real payment: runs only with `--sandbox`. */
  paid?: boolean;
  /** Resolves with a detail for the report; throws {@link Failure}, {@link Skip} or {@link Warn}. */
  run(t: Probe): Promise<string | undefined>;
}

/** The scenario found the server breaking a rule. */
export class Failure extends Error {}
/** The scenario cannot run against this server or with these options (the message says why). */
export class Skip extends Error {}
/** The server works but does something to look at (e.g. challenges over plain HTTP). */
export class Warn extends Error {}

/** Throws a {@link Failure} with `detail` unless `ok`. */
export function check(ok: unknown, detail: string): asserts ok {
  if (!ok) throw new Failure(detail);
}

/** Throws a {@link Failure} listing every issue, if there are any. */
export function failIf(issues: readonly string[]): void {
  if (issues.length > 0) throw new Failure(summarize(issues));
}

/** A short list for a table cell: the first few issues and how many more. */
export function summarize(issues: readonly string[], max = 3): string {
  const unique = [...new Set(issues)];
  const head = unique.slice(0, max).join('; ');
  return unique.length > max ? `${head}; and ${unique.length - max} more` : head;
}

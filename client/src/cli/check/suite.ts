import { MppError } from '@hit-pay/mpp/protocol';
import { challengesOf } from './challenge-rules.js';
import { EVERY_RESPONSE, type EveryResponseRule, Probe, type ProbeOptions } from './probe.js';
import {
  Failure,
  type Scenario,
  type ScenarioResult,
  Skip,
  summarize,
  type Verdict,
  Warn,
} from './scenario.js';
import { challengeScenarios } from './scenarios-challenge.js';
import { credentialScenarios } from './scenarios-credential.js';
import { paidScenarios } from './scenarios-paid.js';

/** What `mpp test` found. */
export interface SuiteReport {
  url: string;
  sandbox: string | null;
  results: ScenarioResult[];
  summary: Record<Verdict, number> & { total: number };
  /** True when no scenario failed (skips and warnings do not count against it). */
  ok: boolean;
}

/** Where to run the suite, and progress callbacks. */
export interface SuiteOptions extends ProbeOptions {
  /** Called before each scenario runs (progress on a terminal). */
  onStart?: (scenario: string, index: number, total: number) => void;
  /** Called with each result as soon as it is known. */
  onResult?: (result: ScenarioResult) => void;
}

/** Every scenario, in report order. Fresh per run: the paid ones share the run's payments. */
export function scenarios(): Scenario[] {
  return [...challengeScenarios, ...credentialScenarios, ...paidScenarios()];
}

async function runOne(t: Probe, s: Scenario): Promise<ScenarioResult> {
  const row = (result: Verdict, detail = ''): ScenarioResult => ({
    scenario: s.name,
    requirements: [...s.requirements],
    result,
    detail,
  });
  try {
    if (s.paid) t.requirePayment();
    return row('pass', (await s.run(t)) ?? '');
  } catch (error) {
    if (error instanceof Skip) return row('skip', error.message);
    if (error instanceof Warn) return row('warn', error.message);
    if (error instanceof Failure) return row('fail', error.message);
    const e = error as Error;
    return row('fail', `error: ${e.message}${e.cause ? ` (${(e.cause as Error).message ?? e.cause})` : ''}`);
  }
}

/** The rows for the rules checked on every response of the run. */
function everyResponseRows(t: Probe): ScenarioResult[] {
  return (Object.keys(EVERY_RESPONSE) as EveryResponseRule[]).map((rule) => {
    const row = (result: Verdict, detail: string): ScenarioResult => ({
      scenario: EVERY_RESPONSE[rule],
      requirements: [rule],
      result,
      detail,
    });
    const broken = t.violations.get(rule);
    if (broken?.length) return row('fail', summarize(broken));
    if (rule === 'R44' && t.counts.receipts === 0)
      return row('skip', 'no response carried a receipt (pay with --sandbox)');
    if (rule === 'R37') return row('pass', `${t.counts.refusals} refusals checked`);
    if (rule === 'R44') return row('pass', `${t.counts.receipts} receipts`);
    return row('pass', `${t.counts.responses} responses`);
  });
}

/**
 * Runs every scenario that can run over the network against a live server, in order, and the
 * rules every response must follow. Paid scenarios run only with `sandbox`; the rest are skipped
 * with the reason. Throws `service-unavailable` when the server cannot be reached at all.
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const t = new Probe(options);
  try {
    t.first = await t.send('the unpaid request');
  } catch (error) {
    throw new MppError(
      'service-unavailable',
      `Cannot reach ${options.url.href}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const startable = t.first.res.status === 402 && challengesOf(t.first.res).length > 0;
  const results: ScenarioResult[] = [];
  const list = scenarios();
  for (const [i, s] of list.entries()) {
    options.onStart?.(s.name, i, list.length);
    const result =
      i === 0 || startable
        ? await runOne(t, s)
        : {
            scenario: s.name,
            requirements: [...s.requirements],
            result: 'skip' as const,
            detail: `no 402 with a Payment challenge to start from (got ${t.first.res.status})`,
          };
    results.push(result);
    options.onResult?.(result);
  }
  if (startable)
    for (const row of everyResponseRows(t)) {
      results.push(row);
      options.onResult?.(row);
    }
  const summary = { pass: 0, fail: 0, skip: 0, warn: 0, total: results.length };
  for (const r of results) summary[r.result]++;
  return {
    url: options.url.href,
    sandbox: t.sandbox ?? null,
    results,
    summary,
    ok: summary.fail === 0,
  };
}

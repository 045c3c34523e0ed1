/**
 * `npm run bench:compare`: runs the benchmarks again (same flags as `npm run bench`; RESULTS.md is
 * left alone, the new run goes to bench/results.latest.json) and diffs every metric against
 * bench/results.json, the run behind the last RESULTS.md. Changes worse than 10% are flagged.
 * A report, not a gate: the exit code is 0 whatever it finds.
 *
 * `--from <file>` diffs an existing results file instead of running; `--baseline <file>` compares
 * against another baseline; `--threshold 0.1` changes the flag level.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Metric, metrics, type Results } from './results.js';
import { cliArgs, flag, parseArgs, runSuite, userPath } from './suite.js';

const dir = fileURLToPath(new URL('..', import.meta.url)).replace(/\/+$/, '');
const argv = cliArgs();
const threshold = Number(flag(argv, 'threshold') ?? 0.1);
const baselineFlag = flag(argv, 'baseline');
const baselinePath = baselineFlag ? userPath(baselineFlag) : `${dir}/results.json`;

if (!existsSync(baselinePath)) {
  console.error(
    `No baseline at ${baselinePath}: run \`npm run bench\` first (it writes RESULTS.md and results.json).`,
  );
  process.exit(0);
}
const baseline = JSON.parse(readFileSync(baselinePath, 'utf8')) as Results;

let current: Results;
const fromFlag = flag(argv, 'from');
const from = fromFlag ? userPath(fromFlag) : undefined;
if (from) current = JSON.parse(readFileSync(from, 'utf8')) as Results;
else {
  const args = parseArgs(argv);
  current = await runSuite({ ...args, log: (line) => console.log(line) });
  writeFileSync(`${dir}/results.latest.json`, `${JSON.stringify(current, null, 2)}\n`);
}

interface Row {
  key: string;
  before: number;
  after: number;
  unit: string;
  /** Relative change in the "worse" direction: +0.12 = 12% worse. */
  worse: number;
  flagged: boolean;
  /** Not our code (mppx, node:crypto floors, bare frameworks): shown for the machine's drift, never flagged. */
  reference: boolean;
}

const REFERENCE = /^core (mppx|floor|baseline)\.|^http \S+ (freeBare|auth401Bare)$/;

/** Growth figures near zero are compared in absolute terms (1 MB), everything else relatively. */
function compare(a: Metric, b: Metric): Row {
  const sign = a.better === 'lower' ? 1 : -1;
  const absolute = a.unit === 'MB';
  const worse = absolute ? sign * (b.value - a.value) : (sign * (b.value - a.value)) / Math.abs(a.value || 1);
  const reference = REFERENCE.test(a.key);
  return {
    key: a.key,
    before: a.value,
    after: b.value,
    unit: a.unit,
    worse,
    reference,
    flagged: !reference && (absolute ? worse > 1 : worse > threshold),
  };
}

const before = new Map(metrics(baseline).map((m) => [m.key, m]));
const rows: Row[] = [];
for (const m of metrics(current)) {
  const b = before.get(m.key);
  if (b) rows.push(compare(b, m));
}
const num = (n: number, unit: string) =>
  unit === 'ratio' ? `${(n * 100).toFixed(1)}%` : n >= 100 ? n.toFixed(0) : n.toFixed(2);
const pct = (r: Row) =>
  r.unit === 'MB'
    ? `${r.worse >= 0 ? '+' : ''}${r.worse.toFixed(2)} MB`
    : `${r.worse >= 0 ? '+' : ''}${(r.worse * 100).toFixed(1)}%`;

console.log(
  `\nBaseline: ${baselinePath} (${baseline.meta.date}, ${baseline.meta.commit}, load ${baseline.meta.loadStart.toFixed(2)})`,
);
console.log(
  `Current:  ${from ?? `${dir}/results.latest.json`} (${current.meta.date}, ${current.meta.commit}, load ${current.meta.loadStart.toFixed(2)})`,
);
console.log(
  `"worse" is the change in the bad direction (slower, fewer req/s); ours flagged above ${(threshold * 100).toFixed(0)}%.\n` +
    '"(reference)" rows (mppx, node:crypto floors, bare frameworks) are not our code, never flagged: their change shows how much the machine moved between the runs.\n',
);
const width = Math.max(...rows.map((r) => r.key.length), 10);
console.log(
  `${'metric'.padEnd(width)}  ${'before'.padStart(10)}  ${'after'.padStart(10)}  ${'worse'.padStart(10)}`,
);
for (const r of rows) {
  console.log(
    `${r.key.padEnd(width)}  ${num(r.before, r.unit).padStart(10)}  ${num(r.after, r.unit).padStart(10)}  ${pct(r).padStart(10)}${r.flagged ? '  ⚠ REGRESSION' : r.reference ? '  (reference)' : ''}`,
  );
}
const flagged = rows.filter((r) => r.flagged);
const missing = [...before.keys()].filter((k) => !rows.some((r) => r.key === k));
console.log(
  `\n${flagged.length} regression(s) over ${(threshold * 100).toFixed(0)}% in ${rows.length} compared metrics` +
    (missing.length
      ? `; ${missing.length} baseline metrics not in this run (sections or frameworks skipped)`
      : '') +
    '.',
);
for (const r of flagged)
  console.log(`  ⚠ ${r.key}: ${num(r.before, r.unit)} → ${num(r.after, r.unit)} ${r.unit} (${pct(r)})`);

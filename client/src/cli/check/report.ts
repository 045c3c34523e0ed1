import type { Verdict } from './scenario.js';
import type { SuiteReport } from './suite.js';

const MARK: Record<Verdict, [string, string]> = {
  pass: ['✔ pass', '\x1b[32m'],
  fail: ['✘ FAIL', '\x1b[31m'],
  warn: ['! warn', '\x1b[33m'],
  skip: ['– skip', '\x1b[2m'],
};

/** `R4 R5 R6 R7` → `R4–R7`: consecutive requirement numbers as ranges. */
export function formatRequirements(ids: readonly string[]): string {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length)
      out.push(run.length > 2 ? `R${run[0]}–R${run.at(-1)}` : run.map((n) => `R${n}`).join(' '));
    run = [];
  };
  for (const id of ids) {
    const n = /^R(\d+)$/.exec(id)?.[1];
    if (n !== undefined && (run.length === 0 || Number(n) === run.at(-1)! + 1)) run.push(Number(n));
    else {
      flush();
      if (n !== undefined) run.push(Number(n));
      else out.push(id);
    }
  }
  flush();
  return out.join(' ');
}

function wrap(text: string, width: number): string[] {
  if (width < 10 || text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
    while (line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The report as a table — scenario, requirement, result, detail — with details wrapped to the
 * terminal's width, then a summary line.
 */
export function renderTable(report: SuiteReport, options: { color: boolean; width?: number }): string {
  const rows = report.results.map((r) => [
    r.scenario,
    formatRequirements(r.requirements),
    r.result,
    r.detail,
  ]);
  const head = ['scenario', 'requirement', 'result', 'detail'];
  const w0 = Math.max(head[0]!.length, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(head[1]!.length, ...rows.map((r) => r[1]!.length));
  const w2 = 6;
  const detailWidth = Math.max(24, (options.width ?? 160) - w0 - w1 - w2 - 6);
  const paint = (text: string, tint: string) => (options.color ? `${tint}${text}\x1b[0m` : text);
  const lines = [
    paint(`${head[0]!.padEnd(w0)}  ${head[1]!.padEnd(w1)}  ${head[2]!.padEnd(w2)}  ${head[3]}`, '\x1b[1m'),
  ];
  for (const [i, r] of report.results.entries()) {
    const [mark, tint] = MARK[r.result];
    const detail = wrap(rows[i]![3]!, detailWidth);
    lines.push(
      `${rows[i]![0]!.padEnd(w0)}  ${rows[i]![1]!.padEnd(w1)}  ${paint(mark, tint)}  ${detail[0] ?? ''}`,
    );
    for (const more of detail.slice(1)) lines.push(`${''.padEnd(w0 + w1 + w2 + 6)}${more}`);
  }
  const s = report.summary;
  const tally = [
    paint(`${s.pass} passed`, MARK.pass[1]),
    paint(`${s.fail} failed`, s.fail ? MARK.fail[1] : ''),
    `${s.skip} skipped`,
    `${s.warn} warning${s.warn === 1 ? '' : 's'}`,
  ].join(' · ');
  lines.push('', `${tally} — ${report.url}${report.sandbox ? ` (paid through ${report.sandbox})` : ''}`);
  return lines.join('\n');
}

/**
 * docs/REQUIREMENTS.md, the traceability matrix, cannot drift from the code and the suites:
 * - every requirement R1–R66 has exactly one row, with a known status, and the summary adds up;
 * - every file the matrix cites exists, and every conformance scenario it cites is in its vector file;
 * - every requirement a conformance scenario claims is cited, with that scenario, in its row;
 * - the `mpp test` column is the CLI's own table (client/README.md).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/REQUIREMENTS.md'), 'utf8');
const IDS = Array.from({ length: 66 }, (_, i) => `R${i + 1}`);

interface Row {
  id: string;
  cells: number;
  status: string;
  /** The "Tested in" cell, without its `planned:` tail. */
  tested: string;
  planned: boolean;
  mppTest: string;
}

const rows: Row[] = doc
  .split('\n')
  .filter((line) => /^\|\s*R\d+\s*\|/.test(line))
  .map((line) => {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const [id = '', , , , status = '', tested = '', mppTest = ''] = cells;
    const at = tested.indexOf('planned:');
    return {
      id,
      cells: cells.length,
      status,
      tested: at < 0 ? tested : tested.slice(0, at),
      planned: at >= 0,
      mppTest,
    };
  });
const byId = new Map(rows.map((r) => [r.id, r]));

/** Status kinds, in the summary's order. */
const KINDS = [
  ['met', /^met$/],
  ['met with a deviation', /^met \(deviation: .+\)$/],
  ['partial', /^partial: .+$/],
  ['in progress', /^in progress$/],
  ['not implemented', /^not implemented$/],
] as const;
const kindOf = (status: string) => KINDS.find(([, re]) => re.test(status))?.[0];

interface VectorScenario {
  name: string;
  requirements: string[];
}
const vectorDir = join(root, 'conformance/vectors');
const vectors = new Map<string, VectorScenario[]>(
  readdirSync(vectorDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [
      `conformance/vectors/${f}`,
      JSON.parse(readFileSync(join(vectorDir, f), 'utf8')).scenarios as VectorScenario[],
    ]),
);

/** The backticked tokens of a cell. */
const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** Conformance citations of a cell: `conformance/vectors/x.json` › "name", "prefix *"… */
function citations(cell: string): { file: string; names: string[] }[] {
  const out: { file: string; names: string[] }[] = [];
  for (const m of cell.matchAll(/`(conformance\/vectors\/[^`]+\.json)`([^`]*)/g)) {
    out.push({ file: m[1]!, names: [...m[2]!.matchAll(/"([^"]+)"/g)].map((n) => n[1]!) });
  }
  return out;
}

/** A cited name matches a scenario exactly, or as a prefix when it ends with `*`. */
const matches = (cited: string, name: string) =>
  cited.endsWith('*') ? name.startsWith(cited.slice(0, -1)) : cited === name;

describe('docs/REQUIREMENTS.md', () => {
  it('has exactly one row per requirement R1–R66, in order, each with 7 cells', () => {
    expect(rows.map((r) => r.id)).toEqual(IDS);
    for (const r of rows) expect(r.cells, r.id).toBe(7);
  });

  it('gives every row a known status; only rows in progress name planned tests', () => {
    for (const r of rows) {
      expect(kindOf(r.status), `${r.id}: status "${r.status}"`).toBeDefined();
      expect(r.planned, `${r.id}: "planned:" is for rows in progress`).toBe(r.status === 'in progress');
    }
  });

  it('the summary line counts the rows', () => {
    const summary = /^\*\*Summary:\*\* (.+)$/m.exec(doc)?.[1];
    expect(summary, 'a **Summary:** line').toBeDefined();
    for (const [kind] of KINDS) {
      const count = rows.filter((r) => kindOf(r.status) === kind).length;
      expect(summary, kind).toMatch(new RegExp(`(^|· )${count} ${kind}( ·| \\(|$)`));
    }
    expect(summary).toContain(`(${rows.length} requirements)`);
  });

  it('cites only files that exist, and only as paths in the "Tested in" column', () => {
    for (const r of rows) {
      for (const token of ticks(r.tested)) {
        expect(existsSync(join(root, token)), `${r.id}: ${token}`).toBe(true);
      }
      if (kindOf(r.status) !== 'not implemented' && kindOf(r.status) !== 'in progress')
        expect(ticks(r.tested).length, `${r.id} names where it is tested`).toBeGreaterThan(0);
    }
    // Paths in the prose and notes, and relative links, exist too.
    const prose = doc
      .split('\n')
      .filter((line) => !/^\|\s*R\d+\s*\|/.test(line))
      .join('\n');
    for (const token of ticks(prose).filter((t) => /^[\w.-]+(\/[\w.@-]+)+\.\w+$/.test(t)))
      expect(existsSync(join(root, token)), token).toBe(true);
    for (const m of doc.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g))
      expect(existsSync(join(root, 'docs', m[1]!)), `link ${m[1]}`).toBe(true);
  });

  it('cites only conformance scenarios that exist in the vector file named', () => {
    for (const r of rows) {
      for (const { file, names } of citations(r.tested)) {
        const scenarios = vectors.get(file);
        expect(scenarios, `${r.id}: ${file}`).toBeDefined();
        expect(names.length, `${r.id}: ${file} names its scenarios`).toBeGreaterThan(0);
        for (const cited of names) {
          expect(
            scenarios!.some((s) => matches(cited, s.name)),
            `${r.id}: ${file} › "${cited}"`,
          ).toBe(true);
        }
      }
    }
  });

  it('cites, in its row, every scenario a conformance vector lists for a requirement', () => {
    const missing: string[] = [];
    for (const [file, scenarios] of vectors) {
      for (const s of scenarios) {
        for (const id of s.requirements.filter((x) => /^R\d+$/.test(x))) {
          const row = byId.get(id);
          const cited = row
            ? citations(row.tested).some((c) => c.file === file && c.names.some((n) => matches(n, s.name)))
            : false;
          if (!cited) missing.push(`${id}: ${file} › "${s.name}"`);
        }
      }
    }
    expect(missing, 'add these citations to their rows').toEqual([]);
  });

  it('the `mpp test` column is the CLI’s table of scenarios (client/README.md)', () => {
    const readme = readFileSync(join(root, 'client/README.md'), 'utf8').split('\n');
    const start = readme.findIndex((l) => /^\|\s*scenario\s*\|\s*requirement\s*\|/.test(l));
    expect(start, 'the scenario table in client/README.md').toBeGreaterThan(0);
    const checked = new Set<string>();
    for (const line of readme.slice(start + 2)) {
      if (!line.startsWith('|')) break;
      const cell = line.split('|')[2] ?? '';
      for (const m of cell.matchAll(/R(\d+)(?:[–-]R(\d+))?/g)) {
        const from = Number(m[1]);
        for (let n = from; n <= Number(m[2] ?? from); n++) checked.add(`R${n}`);
      }
    }
    expect(rows.filter((r) => r.mppTest === 'yes').map((r) => r.id)).toEqual(
      IDS.filter((id) => checked.has(id)),
    );
    for (const r of rows) expect(['yes', '—'], `${r.id}: mpp test`).toContain(r.mppTest);
  });
});

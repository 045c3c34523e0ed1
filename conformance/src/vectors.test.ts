/** The vectors themselves: well-formed, referencing real routes and earlier steps only. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, loadScenarios, ROUTE_KEYS } from './index.js';

const scenarios = loadScenarios();
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('vectors', () => {
  it('have unique names and name the requirements they check', () => {
    expect(new Set(scenarios.map((s) => s.name)).size).toBe(scenarios.length);
    for (const s of scenarios) {
      expect(s.requirements.length, s.name).toBeGreaterThan(0);
      for (const r of s.requirements) {
        // R-numbers of research/spec.md §5, adapter contract items, or sections of draft-hitpay-charge-00.
        expect(r, s.name).toMatch(/^(R([1-9]|[1-5][0-9]|6[0-6])|ADAPTER-\d+|HITPAY-\d+(\.\d+)?)$/);
        if (r.startsWith('ADAPTER-')) expect(readme, `README defines ${r}`).toContain(`**${r}**`);
      }
      for (const c of s.capabilities ?? []) expect(CAPABILITIES, s.name).toContain(c);
    }
  });

  it('reference earlier steps, known routes and raw paths only', () => {
    const routes = new Set<string>([...ROUTE_KEYS, '*']);
    for (const s of scenarios) {
      expect(s.steps.length, s.name).toBeGreaterThan(0);
      s.steps.forEach((step, i) => {
        const where = `${s.name} step ${i + 1}`;
        expect(step.request.path, where).toMatch(/^[/\\]/);
        const c = step.request.credential;
        for (const ref of [c?.from, c?.reuse]) if (ref !== undefined) expect(ref, where).toBeLessThan(i);
        for (const key of Object.keys(step.expect.runs ?? {}))
          expect(routes.has(key), `${where}: ${key}`).toBe(true);
        if (step.repeat) expect(step.expect.statusCounts, where).toBeDefined();
        expect(step.expect.status ?? step.expect.statusCounts, `${where} expects a status`).toBeDefined();
      });
    }
  });

  it('cover the server requirements an adapter can influence', () => {
    const covered = new Set(scenarios.flatMap((s) => s.requirements));
    const expected = [
      ...Array.from({ length: 17 }, (_, i) => `R${i + 1}`),
      ...['R18', 'R19', 'R20', 'R21', 'R22', 'R23', 'R24', 'R25', 'R26', 'R27', 'R28', 'R29', 'R30', 'R31'],
      ...['R32', 'R33', 'R34', 'R35', 'R36', 'R37', 'R38', 'R39', 'R40', 'R41', 'R42', 'R43', 'R44', 'R45'],
      'R46',
      'R47',
      ...['R53', 'R54', 'R55', 'R56', 'R57', 'R58', 'R59', 'ADAPTER-1', 'ADAPTER-2', 'ADAPTER-3'],
    ];
    expect(expected.filter((r) => !covered.has(r))).toEqual([]);
  });
});

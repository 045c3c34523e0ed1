import { describe, expect, it } from 'vitest';
import { formatRequirements, renderTable } from './report.js';
import type { SuiteReport } from './suite.js';

describe('the mpp test report', () => {
  it('shows consecutive requirements as ranges', () => {
    expect(formatRequirements(['R4', 'R5', 'R6', 'R7'])).toBe('R4–R7');
    expect(formatRequirements(['R8', 'R13', 'R14'])).toBe('R8 R13 R14');
    expect(formatRequirements(['R1', 'R2', 'R3', 'R25', 'R55'])).toBe('R1–R3 R25 R55');
    expect(formatRequirements(['CORS'])).toBe('CORS');
    expect(formatRequirements(['hitpay §7', 'R42', 'R43'])).toBe('hitpay §7 R42 R43');
  });

  it('is a table of scenario, requirement, result and detail, with a summary', () => {
    const report: SuiteReport = {
      url: 'http://localhost:3000/forecast/94103',
      sandbox: null,
      results: [
        {
          scenario: 'the 402 is never stored',
          requirements: ['R3'],
          result: 'fail',
          detail: 'Cache-Control is missing',
        },
        { scenario: 'HEAD is gated like GET', requirements: ['R1', 'R2', 'R3'], result: 'pass', detail: '' },
        {
          scenario: 'a paid credential gets a 2xx with a receipt',
          requirements: ['R42', 'R43', 'R44'],
          result: 'skip',
          detail: 'needs a payment: give --sandbox <url> (the HitPay sandbox the server uses)',
        },
      ],
      summary: { pass: 1, fail: 1, skip: 1, warn: 0, total: 3 },
      ok: false,
    };
    const text = renderTable(report, { color: false, width: 100 });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^scenario\s+requirement\s+result\s+detail$/);
    expect(lines[1]).toMatch(/^the 402 is never stored\s+R3\s+✘ FAIL {2}Cache-Control is missing$/);
    expect(lines[2]).toMatch(/^HEAD is gated like GET\s+R1–R3\s+✔ pass/);
    expect(lines[3]).toMatch(/– skip {2}needs a payment/);
    expect(lines[4]).toMatch(/^\s{40,}\S/); // the detail wraps under its column
    expect(lines.every((l) => l.length <= 100)).toBe(true);
    expect(lines.at(-1)).toBe(
      '1 passed · 1 failed · 1 skipped · 0 warnings — http://localhost:3000/forecast/94103',
    );
  });
});

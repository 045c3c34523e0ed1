/**
 * `mpp test` against deliberately broken servers names exactly the scenarios that catch each
 * defect, and the CLI itself exits 10 on failures (0 when all pass, 8 when unreachable, 2 on
 * usage errors), with JSON when piped.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTable } from '../src/cli/check/report.js';
import { runSuite, type SuiteReport } from '../src/cli/check/suite.js';
import { brokenProxy, type Defect } from './support/broken-proxy.js';
import { EXAMPLES, startWorld, type World } from './support/world.js';

const MPP = fileURLToPath(new URL('../bin/mpp.js', import.meta.url));

let w: World;
beforeAll(async () => {
  w = await startWorld(EXAMPLES['fetch (hono)']!);
});
afterAll(async () => {
  await w?.close();
});

const failing = (r: SuiteReport) =>
  r.results
    .filter((x) => x.result === 'fail')
    .map((x) => x.scenario)
    .sort();

async function check(defect: Defect, paid: boolean): Promise<SuiteReport> {
  const proxy = await brokenProxy(w.api.url, defect);
  try {
    return await runSuite({
      url: new URL(`${proxy.url}/forecast/94103`),
      route: new URL(`${proxy.url}/forecast/10001`),
      ...(paid ? { sandbox: w.sandbox.url } : {}),
      concurrency: 8,
    });
  } finally {
    await proxy.close();
  }
}

const CASES: [Defect, boolean, string[]][] = [
  [
    'no-store',
    false,
    ['HEAD is gated like GET', 'every 402 is Cache-Control: no-store', 'the 402 is never stored'],
  ],
  [
    'bare-refusal',
    false,
    [
      'a default challenge is refused in Payment-Authorization',
      'a credential is refused on another protected route',
      'a credential is refused on another query',
      'a dropped expires is refused',
      'a dropped opaque is refused',
      'a later expires is refused',
      'a pending payment keeps its challenge, with Retry-After',
      'a tampered opaque is refused',
      'a tampered realm is refused',
      'a tampered request (a lower price) is refused',
      'an 8 KB garbage credential is refused as malformed',
      'an added header parameter is refused',
      'an added or changed digest is refused',
      'an id this server never issued is refused',
      'every 402 carries a Payment challenge',
      'malformed credentials are refused as malformed',
    ],
  ],
  [
    'unbound-ids',
    false,
    [
      'a dropped expires is refused',
      'a dropped opaque is refused',
      'a later expires is refused',
      // The issued challenge is swapped in whole, method included.
      'a method the route does not offer is refused with 400',
      'a tampered opaque is refused',
      'a tampered realm is refused',
      'a tampered request (a lower price) is refused',
      'an added header parameter is refused',
      'an added or changed digest is refused',
    ],
  ],
  [
    'unbound-request',
    false,
    [
      'a credential is refused on another protected route',
      'a credential is refused on another query',
      // Its refusals answer for the challenged request, so their challenges fit no other one.
      'every refusal carries a fresh, usable challenge',
    ],
  ],
  [
    'stale-challenge',
    true,
    ['every refusal carries a fresh, usable challenge', 'the challenge of a refusal can be paid'],
  ],
  [
    'accept-replays',
    true,
    [
      'a credential that already paid is refused',
      'concurrent copies of one credential deliver once',
      'the challenge of a refusal can be paid',
    ],
  ],
  [
    'receipt-on-500',
    true,
    [
      'a credential that already paid is refused',
      'a paid credential gets a 2xx with a receipt',
      'a paid credential with another description is accepted',
      'concurrent copies of one credential deliver once',
      'only 2xx responses carry a Payment-Receipt',
      'the challenge of a refusal can be paid',
      "the receipt verifies against the broker's JWKS",
    ],
  ],
  [
    'public-receipt',
    true,
    ['a paid credential gets a 2xx with a receipt', 'responses with a receipt are never shared-cached'],
  ],
];

describe('mpp test names the failing scenarios of a broken server', () => {
  for (const [defect, paid, expected] of CASES) {
    it(`${defect}${paid ? ' (paid, --sandbox)' : ''}`, async () => {
      const report = await check(defect, paid);
      expect(report.ok).toBe(false);
      expect(failing(report), renderTable(report, { color: false })).toEqual([...expected].sort());
      if (defect === 'stale-challenge') {
        const r37 = report.results.find(
          (r) => r.scenario === 'every refusal carries a fresh, usable challenge',
        );
        expect(r37?.detail).toMatch(/refused as invalid-challenge/);
        expect(
          report.results.find((r) => r.scenario.startsWith('the challenge of a refusal'))?.detail,
        ).toMatch(/its charge is redeemed already/);
      }
    });
  }
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MPP, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the mpp test command', () => {
  it('exits 0 with a JSON report when piped and everything passes', async () => {
    const { code, stdout } = await cli(['test', `${w.api.url}/forecast/94103`]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as SuiteReport;
    expect(report.ok).toBe(true);
    expect(report.summary.fail).toBe(0);
    expect(
      report.results.find((r) => r.scenario === 'a paid credential gets a 2xx with a receipt'),
    ).toMatchObject({
      result: 'skip',
      detail: expect.stringContaining('--sandbox'),
    });
  });

  it('exits 10 naming the failures of a broken server', async () => {
    const proxy = await brokenProxy(w.api.url, 'no-store');
    try {
      const { code, stdout } = await cli(['test', `${proxy.url}/forecast/94103`, '--json']);
      expect(code).toBe(10);
      const report = JSON.parse(stdout) as SuiteReport;
      expect(failing(report)).toContain('the 402 is never stored');
      expect(report.results.find((r) => r.scenario === 'the 402 is never stored')).toMatchObject({
        requirements: ['R3'],
        detail: 'Cache-Control is missing',
      });
    } finally {
      await proxy.close();
    }
  });

  it('exits 8 when the server is unreachable and 2 on a bad URL', async () => {
    const down = await cli(['test', 'http://127.0.0.1:9/forecast/94103']);
    expect(down.code).toBe(8);
    expect(JSON.parse(down.stdout).error.code).toBe('service-unavailable');
    expect((await cli(['test', 'not a url'])).code).toBe(2);
    expect((await cli(['test', `${w.api.url}/x`, '--concurrency', '1'])).code).toBe(2);
  });

  it('a URL that is not protected fails R1 and skips the rest', async () => {
    const report = await runSuite({ url: new URL(`${w.api.url}/health`) });
    expect(failing(report)).toEqual(['an unpaid request gets 402 with a Payment challenge']);
    expect(report.results.slice(1).every((r) => r.result === 'skip' && r.detail.includes('got 200'))).toBe(
      true,
    );
  });
});

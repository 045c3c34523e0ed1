/**
 * `mpp test` against every example weather API, wired to the sandbox so the paid scenarios run
 * too: all pass. Plus the Fetch example in the -01 profile (the challenge selects
 * Payment-Authorization), where the -01 scenarios run instead of being skipped, and a POST route
 * offering two methods, where the body and Accept-Payment scenarios run.
 */
import { createMpp } from '@hit-pay/mpp';
import { testMethod } from '@hit-pay/mpp/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTable } from '../src/cli/check/report.js';
import { runSuite, type SuiteReport } from '../src/cli/check/suite.js';
import { serveFetch } from '../src/cli/dev/serve-fetch.js';
import { mppFetch } from '../src/index.js';
import { autoPay, EXAMPLES, startWorld, type World } from './support/world.js';

const worlds: World[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

function failures(report: SuiteReport): string[] {
  return report.results.filter((r) => r.result === 'fail').map((r) => `${r.scenario}: ${r.detail}`);
}

const rows = (report: SuiteReport, result: string) =>
  report.results.filter((r) => r.result === result).map((r) => r.scenario);

describe.concurrent('mpp test passes every example API', () => {
  for (const [name, start] of Object.entries(EXAMPLES)) {
    it(`${name}`, async () => {
      const w = await startWorld(start);
      worlds.push(w);
      const report = await runSuite({
        url: new URL(`${w.api.url}/forecast/94103`),
        sandbox: w.sandbox.url,
        route: new URL(`${w.api.url}/forecast/10001`),
        concurrency: 12,
      });
      expect(failures(report), renderTable(report, { color: false })).toEqual([]);
      expect(report.ok).toBe(true);
      // Skipped only for reasons of the server's shape, each with its reason.
      expect(rows(report, 'skip').sort()).toEqual(
        [
          'Accept-Payment filters and orders the challenges',
          'a body that differs from the challenged one is refused',
          'a request body is bound by its RFC 9530 digest',
          'several challenges have distinct ids',
          'the challenge selects Payment-Authorization (-01)',
        ].sort(),
      );
      expect(rows(report, 'warn')).toEqual(['challenges are sent only over TLS']);
      expect(report.results.every((r) => r.result === 'pass' || r.detail.length > 0)).toBe(true);
      expect(report.results.find((r) => r.scenario.startsWith('concurrent'))?.detail).toBe('1× 200, 11× 402');
    });
  }

  it('a POST route with two methods: digest, Accept-Payment and distinct ids run and pass', async () => {
    const mpp = createMpp({
      methods: [testMethod({ name: 'alpha' }), testMethod({ name: 'beta' })],
      secretKey: 'mpp-client-two-methods-secret-0123456789',
    });
    const orders = mpp.protect({ amount: '5.00', currency: 'sgd' }, async (req) =>
      Response.json({ order: await req.json() }, { status: 201 }),
    );
    const reports = mpp.protect({ amount: '1.00', currency: 'sgd' }, () => Response.json({ ok: true }));
    const api = await serveFetch(
      async (req) => (new URL(req.url).pathname === '/orders' ? orders(req, {}) : reports(req, {})),
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const report = await runSuite({
        url: new URL(`${api.url}/orders`),
        method: 'POST',
        body: Buffer.from('{"qty":1}'),
        headers: { 'content-type': 'application/json' },
        route: new URL(`${api.url}/reports`),
      });
      expect(failures(report), renderTable(report, { color: false })).toEqual([]);
      const result = (name: string) => report.results.find((r) => r.scenario === name)?.result;
      for (const name of [
        'a request body is bound by its RFC 9530 digest',
        'a body that differs from the challenged one is refused',
        'several challenges have distinct ids',
        'Accept-Payment filters and orders the challenges',
        'a credential is refused on another protected route',
      ])
        expect(result(name), name).toBe('pass');
      expect(result('HEAD is gated like GET')).toBe('skip');
    } finally {
      await api.close();
    }
  });

  it('a hitpay-save route: no failures; its hyphenated method name is reported as an R6 warning', async () => {
    const w = await startWorld(EXAMPLES.express!);
    worlds.push(w);
    const report = await runSuite({
      url: new URL(`${w.api.url}/forecast/94103/hourly`),
      route: new URL(`${w.api.url}/forecast/10001/hourly`),
    });
    expect(failures(report), renderTable(report, { color: false })).toEqual([]);
    const r6 = report.results.find((r) => r.scenario === 'id, realm, method and intent are well-formed');
    expect(r6?.result).toBe('warn');
    expect(r6?.detail).toContain('"hitpay-save" has a hyphen');
  });

  it('the -01 profile: the -01 scenarios run, and mppFetch answers in Payment-Authorization', async () => {
    const w = await startWorld(EXAMPLES['fetch (hono)']!, { paymentAuthorizationHeader: true });
    worlds.push(w);
    const report = await runSuite({
      url: new URL(`${w.api.url}/forecast/94103`),
      sandbox: w.sandbox.url,
      route: new URL(`${w.api.url}/forecast/94103/hourly`),
      concurrency: 10,
    });
    expect(failures(report), renderTable(report, { color: false })).toEqual([]);
    const row = (name: string) => report.results.find((r) => r.scenario === name)?.result;
    expect(row('the challenge selects Payment-Authorization (-01)')).toBe('pass');
    expect(row('a default challenge is refused in Payment-Authorization')).toBe('skip');
    // The app's own Authorization header stays the app's.
    const stop = autoPay(w.sandbox);
    try {
      const { response, receipt } = await mppFetch(`${w.api.url}/forecast/10001`, {
        headers: { authorization: 'Bearer the-app-token' },
        pollInterval: 100,
        onChallenge: () => ({ pay: true }),
      });
      expect(response.status).toBe(200);
      expect(receipt?.amount).toBe('100');
    } finally {
      stop();
    }
  });
});

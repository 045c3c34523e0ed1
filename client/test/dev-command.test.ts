/**
 * `mpp dev` as a user runs it: a child process that prints where everything listens, serves a
 * paid flow end to end (checkout paid through the sandbox's HTTP endpoint), passes `mpp test`,
 * and shuts down cleanly on SIGTERM with exit code 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTable } from '../src/cli/check/report.js';
import { runSuite } from '../src/cli/check/suite.js';
import { MemoryLedger, mppFetch } from '../src/index.js';

const MPP = fileURLToPath(new URL('../bin/mpp.js', import.meta.url));

interface Ready {
  event: 'ready';
  api: string;
  sandbox: string;
  broker: string;
  apiKey: string;
}

let child: ChildProcess;
let ready: Ready;
let stderr = '';
const events: Record<string, unknown>[] = [];

beforeAll(async () => {
  child = spawn(process.execPath, [MPP, 'dev', '--port', '0', '--sandbox-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`mpp dev exited ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (event.event === 'ready') resolve(event as unknown as Ready);
    });
  });
}, 60_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('mpp dev', () => {
  it('prints the URLs, the demo key and the next steps', () => {
    expect(ready.api).toMatch(/^http:\/\/localhost:\d+$/);
    expect(ready.sandbox).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.broker).toBe(`${ready.api}/mpp`);
    expect(ready.apiKey).toBe('test_mpp_sandbox_demo_key');
    // People get the banner on stderr when stdout is a pipe.
    expect(stderr).toContain(`mpp fetch ${ready.api}/forecast/94103`);
    expect(stderr).toContain(`curl -X POST ${ready.sandbox}/_sandbox/payment-requests/<id>/pay`);
  });

  it('serves a free route and a paid forecast, paid through the sandbox over HTTP', async () => {
    expect(await (await fetch(`${ready.api}/health`)).json()).toEqual({ ok: true });
    const ledger = new MemoryLedger();
    const { response, receipt } = await mppFetch(`${ready.api}/forecast/94103`, {
      ledger,
      pollInterval: 100,
      onChallenge: async (prompt) => {
        expect(prompt.displayAmount).toBe('SGD 1.00');
        const id = String(prompt.methodDetails.payment_request_id);
        const paid = await fetch(`${ready.sandbox}/_sandbox/payment-requests/${id}/pay`, { method: 'POST' });
        expect(paid.status).toBe(200);
        return { pay: true };
      },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ zip: '94103', paid: receipt?.reference });
    expect(receipt).toMatchObject({ method: 'hitpay', amount: '100', currency: 'sgd' });
  });

  it('passes mpp test, paid scenarios included', async () => {
    const report = await runSuite({
      url: new URL(`${ready.api}/forecast/94103`),
      sandbox: ready.sandbox,
      route: new URL(`${ready.api}/forecast/94103/hourly`),
      concurrency: 10,
    });
    expect(report.summary.fail, renderTable(report, { color: false })).toBe(0);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
      child.once('exit', (code, signal) => r([code, signal])),
    );
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(events.at(-1)).toEqual({ event: 'stopped', signal: 'SIGTERM' });
    expect(stderr).toContain('SIGTERM: shutting down');
  });
});

import { readFileSync } from 'node:fs';
import { BudgetExceeded, MemoryLedger, mppFetch, PaymentDeclined } from '@hit-pay/mpp-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatRequirements } from '../src/cli/check/report.js';
import { scenarios } from '../src/cli/check/suite.js';
import { expectReadmeSnippet } from './support/readme.js';
import { autoPay, EXAMPLES, startWorld, type World } from './support/world.js';

/** The README's snippet, verbatim (checked below). */
async function readmeAgent() {
  // readme:start
  const api = process.env.WEATHER_API ?? 'http://localhost:3000'; // `mpp dev` serves one
  const ledger = new MemoryLedger(); // or FileLedger from '@hit-pay/mpp-client/node'

  try {
    const { response, receipt } = await mppFetch(`${api}/forecast/94103`, {
      budget: { currency: 'sgd', maxPerRequest: '2.00', maxPerDay: '20.00' },
      ledger,
      onChallenge: (prompt) => {
        // A person pays: show the price and the checkout link (or render the PayNow QR payload).
        console.log(`${prompt.displayAmount} (${prompt.description}): ${prompt.methodDetails.checkout_url}`);
        return { pay: true };
      },
    });
    console.log(response.status, await response.json(), receipt?.reference);
  } catch (error) {
    if (error instanceof BudgetExceeded || error instanceof PaymentDeclined)
      console.log(error.code, error.detail);
    else throw error;
  }
  console.log((await ledger.entries()).length, 'paid so far');
  // readme:end
}

let w: World;
beforeAll(async () => {
  w = await startWorld(EXAMPLES['fetch (hono)']!);
}, 60_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await w?.close();
});

const README = new URL('../README.md', import.meta.url);

describe('README', () => {
  it('shows exactly the code this test runs', () => {
    expectReadmeSnippet(README, new URL(import.meta.url));
  });

  it('the snippet pays for a forecast (a person paying the checkout) and records the receipt', async () => {
    vi.stubEnv('WEATHER_API', w.api.url);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const stop = autoPay(w.sandbox);
    let lines: unknown[][] = [];
    try {
      await readmeAgent();
    } finally {
      stop();
      lines = [...log.mock.calls];
      log.mockRestore();
    }
    expect(String(lines[0]![0])).toMatch(
      /^SGD 1\.00 \(Forecast\): http:\/\/127\.0\.0\.1:\d+\/payment-request\//,
    );
    expect(lines[1]).toEqual([200, expect.objectContaining({ zip: '94103' }), expect.any(String)]);
    expect(lines[2]).toEqual([1, 'paid so far']);
  });

  it('lists every mpp test scenario with its requirements', () => {
    const text = readFileSync(README, 'utf8');
    for (const s of scenarios())
      expect(text, s.name).toContain(`| ${s.name} | ${formatRequirements(s.requirements)} |`);
  });
});

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('./demo.ts', import.meta.url));

describe('npm run demo', () => {
  it('runs the whole offline flow, explains each step, and exits 0', () => {
    const r = spawnSync(
      process.execPath,
      ['--conditions=@hit-pay/source', '--import', import.meta.resolve('tsx'), demo],
      {
        encoding: 'utf8',
        timeout: 110_000,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    const out = r.stdout;
    for (const line of [
      /← 402 Payment Required {3}Cache-Control: no-store/,
      /WWW-Authenticate: Payment id="[\w-]{43}", realm="127\.0\.0\.1", method="hitpay"/,
      /Issuing it called nothing: HitPay has 0 payment requests so far\./,
      /checkout http:\/\/127\.0\.0\.1:\d+\/payment-request\/@[\w-]+\/[\w-]+\/checkout/,
      /█/, // the PayNow QR
      /→ "paid"/,
      /← 200 OK {3}Cache-Control: private/,
      /Payment-Receipt verified against .*\/\.well-known\/jwks\.json \(Ed25519 ✔\)/,
      /← 402 invalid-challenge — one payment, one response/,
      /grant spm_[\w-]+ \(typ mpp-spm\+jwt\): ≤ SGD 1\.00 a charge, ≤ SGD 10\.00 in all/,
      /left under the grant SGD 9\.50/,
      /left under the grant SGD 9\.00/,
      /left under the grant SGD 8\.50/,
      /✔ Demo finished in [\d.]+ s: 2 one-time payments, 1 wallet saved, 3 saved-method charges, every receipt verified\./,
    ]) {
      expect(out).toMatch(line);
    }
  });
});

/**
 * A standalone broker killed with SIGKILL between the webhook and the redeem, then restarted on the
 * same PGlite folder: the payment it recorded survives and redeems exactly once. Also: the shim
 * `bin/mpp-broker.js start --port 0` starts and stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { merchantIdFor, remoteBroker } from '@hit-pay/mpp';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundHash, makeChallenge, openAt, SECRET } from './support.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/mpp-broker.js', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const KEY = 'test_crash';
const CHALLENGE_SECRET = 'crash-challenge-secret-crash-challenge-secret';

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts a broker process and resolves with its URL once it listens. */
function launch(args: string[], env: Record<string, string>, viaShim = false): Promise<Child> {
  const argv = viaShim ? [BIN, ...args] : ['--conditions=@hit-pay/source', '--import', TSX, CLI, ...args];
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ process: child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code}):\n${out}`));
    });
  });
}

const exited = (c: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve({ code: c.exitCode, signal: c.signalCode });
    else c.once('exit', (code, signal) => resolve({ code, signal }));
  });

describe('a standalone broker process', () => {
  let sandbox: Sandbox;
  let dir: string;
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ webhookRetryDelaysMs: [50] });
    dir = mkdtempSync(join(tmpdir(), 'mpp-broker-crash-'));
  });
  afterAll(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = () => ({
    MPP_SECRET_KEY: SECRET,
    MPP_HITPAY_BASE_URLS: sandbox.url,
    MPP_RECONCILE_INTERVAL_MS: '0',
    MPP_LOG_LEVEL: 'warn',
  });

  it('killed with SIGKILL after the webhook, restarted on the same storage: still paid, redeems once', async () => {
    const database = join(dir, 'broker');
    const first = await launch(['start', '--port', '0', '--database', database], env());
    started.push(first.process);
    const remote = remoteBroker({ endpoint: first.url, apiKey: KEY });
    const endpoint = sandbox.registerWebhookEndpoint(KEY, { url: `${first.url}/v1/webhook/hitpay` });
    await remote.registerMerchant({
      apiKey: KEY,
      webhookSalt: endpoint.salt,
      challengeSecrets: [CHALLENGE_SECRET],
      hitpayBaseUrl: sandbox.url,
    });
    const merchantId = merchantIdFor(KEY);
    const c = makeChallenge({
      secret: CHALLENGE_SECRET,
      realm: 'api.crash.test',
      merchant: merchantId,
      broker: first.url,
    });
    const view = await openAt(first.url, c);
    sandbox.pay(view.payment_request_id);
    await sandbox.webhooksIdle();
    expect(sandbox.webhookDeliveries().filter((d) => d.state === 'delivered').length).toBeGreaterThan(0);

    first.process.kill('SIGKILL');
    expect((await exited(first.process)).signal).toBe('SIGKILL');

    const second = await launch(['start', '--port', '0', '--database', database], env());
    started.push(second.process);
    const again = remoteBroker({ endpoint: second.url, apiKey: KEY });
    expect((await (await fetch(`${second.url}/v1/charges/${c.id}`)).json()).status).toBe('paid');
    const input = {
      merchantId,
      chargeId: c.id,
      challenge: c as never,
      amount: '100',
      currency: 'sgd',
      requestHash: boundHash(c),
      paymentRequestId: view.payment_request_id,
      leaseMs: 60_000,
    };
    const results = await Promise.allSettled([again.redeemCharge(input), again.redeemCharge(input)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    await again.commitCharge(
      merchantId,
      c.id,
      (won[0] as PromiseFulfilledResult<{ leaseId: string }>).value.leaseId,
    );
    await expect(again.redeemCharge(input)).rejects.toMatchObject({ code: 'invalid-challenge' });

    second.process.kill('SIGTERM');
    expect(await exited(second.process)).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('`node bin/mpp-broker.js start --port 0` starts, serves, and stops on SIGTERM', async () => {
    const child = await launch(['start', '--port', '0', '--database', join(dir, 'shim')], env(), true);
    started.push(child.process);
    expect(await (await fetch(`${child.url}/v1/health`)).json()).toEqual({ ok: true });
    const jwks = await (await fetch(`${child.url}/.well-known/jwks.json`)).json();
    expect(jwks.keys).toHaveLength(1);
    child.process.kill('SIGTERM');
    expect(await exited(child.process)).toEqual({ code: 0, signal: null });

    // Operations on the same storage: rotate-keys keeps the old key published; reconcile reports.
    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, [BIN, ...args, '--database', join(dir, 'shim')], {
          env: { ...process.env, ...env() },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
        });
        p.stderr!.on('data', (d: Buffer) => {
          out += d.toString();
        });
        p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
      });
    expect(await run(['migrate'])).toContain('database is up to date');
    const rotated = /active signing key: (\S+)/.exec(await run(['rotate-keys']))![1];
    expect(rotated).not.toBe(jwks.keys[0].kid);
    expect(JSON.parse(await run(['reconcile']))).toMatchObject({ errors: 0 });
    const again = await launch(['start', '--port', '0', '--database', join(dir, 'shim')], env(), true);
    started.push(again.process);
    const after = await (await fetch(`${again.url}/.well-known/jwks.json`)).json();
    expect(after.keys.map((k: { kid: string }) => k.kid)).toEqual([rotated, jwks.keys[0].kid]);
    again.process.kill('SIGTERM');
    await exited(again.process);
  }, 90_000);
});

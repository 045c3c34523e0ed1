import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/mpp-sandbox.js', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out);
    });
    proc.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

describe('mpp-sandbox CLI', () => {
  it('starts on an ephemeral port, serves the demo key and stops on SIGTERM', async () => {
    child = spawn(process.execPath, [BIN, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await firstLine(child);
    const url = /listening on (http:\/\/\S+)/.exec(line)![1]!;
    const res = await fetch(`${url}/_sandbox/business`, {
      headers: { 'X-BUSINESS-API-KEY': 'test_mpp_sandbox_demo_key' },
    });
    expect(await res.json()).toMatchObject({ salt: 'mpp_sandbox_demo_salt', slug: 'mpp-demo' });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);

  it('prints usage and exits 2 on a bad flag', async () => {
    child = spawn(process.execPath, [BIN, '--bogus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('Usage: mpp-sandbox');
  }, 20_000);
});

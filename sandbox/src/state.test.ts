import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxConfigError } from './errors.js';
import { startSandbox } from './server.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mpp-sandbox-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('state file', () => {
  it('saves on close and reloads at start', async () => {
    const file = join(dir, 'state.json');
    const first = await startSandbox({ stateFile: file });
    const res = await fetch(`${first.url}/v1/payment-requests`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': 'test_persist', 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: '9.99', currency: 'SGD' }),
    });
    const pr = (await res.json()) as any;
    first.pay(pr.id);
    const endpoint = first.registerWebhookEndpoint('test_persist', { url: 'http://127.0.0.1:9/h' });
    await first.close();
    expect(JSON.parse(await readFile(file, 'utf8')).version).toBe(1);

    const second = await startSandbox({ stateFile: file });
    try {
      const got = await fetch(`${second.url}/v1/payment-requests/${pr.id}`, {
        headers: { 'X-BUSINESS-API-KEY': 'test_persist' },
      });
      const body = (await got.json()) as any;
      expect(body).toMatchObject({ id: pr.id, status: 'completed', amount: '9.99' });
      expect(body.payments).toHaveLength(1);
      expect(second.state.webhookEndpoints[endpoint.id]?.salt).toBe(endpoint.salt);
    } finally {
      await second.close();
    }
  });

  it('saves shortly after a change without closing', async () => {
    const file = join(dir, 'live.json');
    const sb = await startSandbox({ stateFile: file });
    try {
      sb.business('test_live');
      await new Promise((r) => setTimeout(r, 150));
      expect(Object.keys(JSON.parse(await readFile(file, 'utf8')).businesses)).toEqual(['test_live']);
    } finally {
      await sb.close();
    }
  });

  it('refuses a corrupt file at start', async () => {
    const file = join(dir, 'corrupt.json');
    await writeFile(file, '{"version": 2}');
    await expect(startSandbox({ stateFile: file })).rejects.toBeInstanceOf(SandboxConfigError);
    await writeFile(file, 'nope');
    await expect(startSandbox({ stateFile: file })).rejects.toThrow(/not valid JSON/);
  });
});

describe('options', () => {
  it('rejects non-test keys and bad values at start', async () => {
    await expect(startSandbox({ businesses: [{ apiKey: 'live_x' }] })).rejects.toBeInstanceOf(
      SandboxConfigError,
    );
    await expect(startSandbox({ maxBodyBytes: 1 })).rejects.toBeInstanceOf(SandboxConfigError);
    await expect(startSandbox({ webhookRetryDelaysMs: [-1] })).rejects.toBeInstanceOf(SandboxConfigError);
  });

  it('can refuse unknown keys and use a custom 401 body', async () => {
    const sb = await startSandbox({
      autoCreateBusinesses: false,
      businesses: [{ apiKey: 'test_known' }],
      unauthenticatedBody: { message: 'Invalid business api key' },
    });
    try {
      const res = await fetch(`${sb.url}/v1/payment-requests`, {
        headers: { 'X-BUSINESS-API-KEY': 'test_unknown' },
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Invalid business api key' });
      const ok = await fetch(`${sb.url}/v1/payment-requests`, {
        headers: { 'X-BUSINESS-API-KEY': 'test_known' },
      });
      expect(ok.status).toBe(200);
      expect(() => sb.business('test_unknown')).toThrow(SandboxConfigError);
    } finally {
      await sb.close();
    }
  });

  it('pre-registers webhook endpoints once', async () => {
    const sb = await startSandbox({
      webhookEndpoints: [{ apiKey: 'test_pre', url: 'https://h.example/x', salt: 'fixed_salt' }],
    });
    try {
      const list = Object.values(sb.state.webhookEndpoints);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ salt: 'fixed_salt', url: 'https://h.example/x' });
      sb.reset();
      expect(Object.values(sb.state.webhookEndpoints)).toHaveLength(1);
    } finally {
      await sb.close();
    }
  });
});

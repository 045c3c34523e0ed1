import { appendFile, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLedger, loadGrant, saveGrant } from './index.js';

describe('file storage', () => {
  it('the ledger appends JSON lines, skips a torn line, and is owner-only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mpp-ledger-'));
    const ledger = new FileLedger(join(dir, 'sub', 'ledger.jsonl'));
    expect(await ledger.entries()).toEqual([]);
    const e = {
      at: 1,
      url: 'u',
      host: 'h',
      method: 'hitpay',
      amount: '1',
      currency: 'sgd',
      reference: 'r',
      challengeId: 'c',
    };
    await ledger.append(e);
    await appendFile(ledger.path, '{"torn":');
    expect(await ledger.entries()).toEqual([e]);
    expect((await stat(ledger.path)).mode & 0o777).toBe(0o600);
  });
  it('grants round-trip through an owner-only file; a bare JWS file loads too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mpp-grant-'));
    const g = {
      jws: 'a.b.c',
      savedMethodId: 'spm_1',
      rail: 'grabpay_direct',
      currency: 'sgd',
      maxAmountPerCharge: '500',
      totalAmountCap: '5000',
      url: 'u',
    };
    const path = await saveGrant(g, join(dir, 'grant.json'));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadGrant(path)).toEqual(g);
    await appendFile(join(dir, 'bare.jws'), 'x.y.z\n');
    expect((await loadGrant(join(dir, 'bare.jws'))).jws).toBe('x.y.z');
    await expect(loadGrant(join(dir, 'missing.json'))).rejects.toThrow(/No grant/);
  });
});

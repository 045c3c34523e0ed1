import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildJwks,
  GRANT_TYP,
  generateSigningKey,
  importSigningKey,
  RECEIPT_TYP,
  type ReceiptClaims,
  reloadingKeySet,
  remoteJwks,
  signGrant,
  signReceipt,
  verifyGrant,
  verifyReceipt,
} from './index.js';

const claims: ReceiptClaims = {
  status: 'success',
  method: 'hitpay',
  reference: 'pay_1',
  challengeId: 'c'.repeat(43),
  amount: '100',
  currency: 'sgd',
  requestHash: 'h'.repeat(43),
  merchant: 'm_1',
};
const grant = {
  sub: 'spm_1',
  merchant: 'm_1',
  realm: 'api.example.com',
  rail: 'grabpay_direct',
  currency: 'sgd',
  maxAmountPerCharge: '500',
  totalAmountCap: '5000',
};
const opts = { issuer: 'https://broker.example', audience: 'api.example.com' };

describe('receipt and grant JWS', () => {
  it('a receipt signs and verifies against the JWKS; typ and kid are set', async () => {
    const key = await generateSigningKey();
    const jws = await signReceipt(claims, key, opts);
    expect(decodeProtectedHeader(jws)).toMatchObject({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: key.kid });
    const jwks = buildJwks([key.publicJwk]);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    expect(await verifyReceipt(jws, jwks, opts)).toMatchObject(claims);
  });
  it('a grant can never pass as a receipt, nor a receipt as a grant (distinct typ)', async () => {
    const key = await generateSigningKey();
    const jwks = buildJwks([key.publicJwk]);
    const g = await signGrant(grant, key, { ...opts, expiresIn: 3600 });
    expect(decodeProtectedHeader(g).typ).toBe(GRANT_TYP);
    await expect(verifyReceipt(g, jwks)).rejects.toMatchObject({ code: 'receipt-invalid' });
    const r = await signReceipt(claims, key, opts);
    await expect(verifyGrant(r, jwks)).rejects.toMatchObject({ code: 'grant-invalid' });
    expect(await verifyGrant(g, jwks)).toMatchObject(grant);
  });
  it('tampering, a foreign key, a wrong audience or expiry are refused', async () => {
    const key = await generateSigningKey();
    const other = await generateSigningKey();
    const jwks = buildJwks([key.publicJwk]);
    const jws = await signReceipt(claims, key, opts);
    const [h, p, s] = jws.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, amount: '1' })).toString('base64url');
    await expect(verifyReceipt(`${h}.${forgedPayload}.${s}`, jwks)).rejects.toMatchObject({
      code: 'receipt-invalid',
    });
    await expect(verifyReceipt(await signReceipt(claims, other, opts), jwks)).rejects.toMatchObject({
      code: 'receipt-invalid',
    });
    await expect(verifyReceipt(jws, jwks, { audience: 'evil.example.com' })).rejects.toMatchObject({
      code: 'receipt-invalid',
    });
    const g = await signGrant(grant, key, { ...opts, expiresIn: 60, now: Date.now() - 3600_000 });
    await expect(verifyGrant(g, jwks)).rejects.toMatchObject({ code: 'grant-invalid' });
    void p;
  });
  it('clock skew is tolerated up to the option', async () => {
    const key = await generateSigningKey();
    const jwks = buildJwks([key.publicJwk]);
    const g = await signGrant(grant, key, { ...opts, expiresIn: 60, now: Date.now() - 90_000 });
    await expect(verifyGrant(g, jwks, { clockTolerance: 10 })).rejects.toMatchObject({
      code: 'grant-invalid',
    });
    expect(await verifyGrant(g, jwks, { clockTolerance: 120 })).toMatchObject({ sub: 'spm_1' });
  });
  it('private JWKs round-trip through import', async () => {
    const key = await generateSigningKey('k1');
    const again = await importSigningKey(key.privateJwk);
    expect(again.kid).toBe('k1');
    const jws = await signReceipt(claims, again, opts);
    expect(await verifyReceipt(jws, [key.publicJwk])).toMatchObject({ reference: 'pay_1' });
  });
});

describe('remote JWKS cache', () => {
  let keys: object[] = [];
  let fetches = 0;
  const server = http.createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys }));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('caches, refetches once on an unknown kid (rotation), and bounds refetches with a cool-down', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    const k1 = await generateSigningKey('k1');
    const k2 = await generateSigningKey('k2');
    keys = buildJwks([k1.publicJwk]).keys;
    const jwks = remoteJwks(url, { cooldownMs: 0 });
    for (let i = 0; i < 5; i++) await verifyReceipt(await signReceipt(claims, k1, opts), jwks);
    expect(fetches).toBe(1);
    keys = buildJwks([k2.publicJwk, k1.publicJwk]).keys;
    expect(await verifyReceipt(await signReceipt(claims, k2, opts), jwks)).toMatchObject({
      reference: 'pay_1',
    });
    expect(fetches).toBe(2);
    // Old receipts still verify after rotation.
    await verifyReceipt(await signReceipt(claims, k1, opts), jwks);
    const strict = remoteJwks(url, { cooldownMs: 60_000 });
    await verifyReceipt(await signReceipt(claims, k1, opts), strict);
    const before = fetches;
    const unknown = await generateSigningKey('nope');
    for (let i = 0; i < 10; i++) {
      await expect(verifyReceipt(await signReceipt(claims, unknown, opts), strict)).rejects.toMatchObject({
        code: 'receipt-invalid',
      });
    }
    expect(fetches - before).toBeLessThanOrEqual(1);
  });
});

describe('reloading key set', () => {
  const counted = (docs: () => { keys: readonly unknown[] }) => {
    const source = { loads: 0, down: false };
    const load = async () => {
      source.loads++;
      if (source.down) throw new Error('JWKS source down');
      return docs();
    };
    return { source, load };
  };

  it('a key rotated a moment after a load verifies at once: it waits out the cool-down for one reload', async () => {
    const k1 = await generateSigningKey('r1');
    const k2 = await generateSigningKey('r2');
    let keys = [k1.publicJwk];
    const { source, load } = counted(() => buildJwks(keys));
    const set = reloadingKeySet(load);
    await verifyReceipt(await signReceipt(claims, k1, opts), set);
    keys = [k2.publicJwk, k1.publicJwk];
    const fresh = await signReceipt(claims, k2, opts);
    // Several at once, all within the cool-down of the first load: one reload serves them all.
    await Promise.all(Array.from({ length: 5 }, () => verifyReceipt(fresh, set)));
    expect(source.loads).toBe(2);
  });

  it('forged kids: refused, with at most one reload per cool-down however many arrive', async () => {
    const k1 = await generateSigningKey('f1');
    const { source, load } = counted(() => buildJwks([k1.publicJwk]));
    const set = reloadingKeySet(load, { cooldownMs: 60_000 });
    await verifyReceipt(await signReceipt(claims, k1, opts), set);
    const forged = await signReceipt(claims, await generateSigningKey('forged'), opts);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => verifyReceipt(forged, set)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(source.loads).toBe(1);
  });

  it('stale keys keep serving while the source is down', async () => {
    const k1 = await generateSigningKey('s1');
    const { source, load } = counted(() => buildJwks([k1.publicJwk]));
    const set = reloadingKeySet(load, { cacheMaxAgeMs: 0, cooldownMs: 0 });
    await verifyReceipt(await signReceipt(claims, k1, opts), set);
    source.down = true;
    for (let i = 0; i < 3; i++) await verifyReceipt(await signReceipt(claims, k1, opts), set);
    expect(source.loads).toBeGreaterThan(1); // it kept trying in the background
  });

  it('a source that cannot be loaded at all is an error, not a hang', async () => {
    const { source, load } = counted(() => ({ keys: [] }));
    source.down = true;
    const set = reloadingKeySet(load);
    const k1 = await generateSigningKey('d1');
    await expect(verifyReceipt(await signReceipt(claims, k1, opts), set)).rejects.toThrow();
  });
});

import { signReceipt, verifyReceipt } from '@hit-pay/mpp/receipts';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../storage/database.js';
import { migrate } from '../storage/migrations.js';
import { SealedBox } from './sealed-box.js';
import { SigningKeys } from './signing-keys.js';

const SECRET = 'broker-secret-broker-secret-broker-secret';
const claims = {
  status: 'success' as const,
  method: 'hitpay',
  reference: 'p',
  challengeId: 'c',
  amount: '1',
  currency: 'sgd',
  requestHash: 'h',
  merchant: 'm',
};

describe('sealed box', () => {
  it('round-trips and refuses another secret or tampering', () => {
    const box = new SealedBox(SECRET);
    const sealed = box.seal('test_apikey');
    expect(sealed).not.toContain('test_apikey');
    expect(box.open(sealed)).toBe('test_apikey');
    expect(() => new SealedBox(`${SECRET}x`).open(sealed)).toThrow(/MPP_SECRET_KEY/);
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}A`;
    expect(() => box.open(tampered)).toThrow();
    expect(() => new SealedBox('short')).toThrow(/secretKey/);
  });
});

describe('signing keys', () => {
  it('are generated once, survive a restart sealed, and rotate keeping old keys verifiable', async () => {
    const db = await openDatabase('memory://');
    await migrate(db);
    const box = new SealedBox(SECRET);
    const k1 = await new SigningKeys(db, box).load();
    const again = await new SigningKeys(db, box).load();
    expect(again.kid).toBe(k1.kid);
    const { rows } = await db.query<{ private_jwk_enc: string }>('SELECT private_jwk_enc FROM signing_keys');
    expect(rows[0]!.private_jwk_enc).not.toContain('"d"');
    const keys = new SigningKeys(db, box);
    const before = await signReceipt(claims, await keys.current(), { issuer: 'b' });
    const k2 = await keys.rotate();
    expect(k2.kid).not.toBe(k1.kid);
    const jwks = await keys.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual([k2.kid, k1.kid]);
    expect(await verifyReceipt(before, jwks)).toMatchObject({ reference: 'p' });
    expect(
      await verifyReceipt(await signReceipt(claims, await keys.current(), { issuer: 'b' }), jwks),
    ).toBeTruthy();
    await db.close();
  });
});

import { generateSigningKey } from '@hit-pay/mpp/receipts';
import { describe, expect, it } from 'vitest';
import { createBroker } from './broker.js';
import { resolveBrokerOptions } from './options.js';

describe('broker options', () => {
  it('fail at start-up, naming the option', async () => {
    const saved = process.env.MPP_SECRET_KEY;
    delete process.env.MPP_SECRET_KEY;
    try {
      await expect(createBroker({ database: 'memory://' })).rejects.toMatchObject({ option: 'secretKey' });
    } finally {
      if (saved !== undefined) process.env.MPP_SECRET_KEY = saved;
    }
    await expect(createBroker({ database: 'memory://', secretKey: 'short' })).rejects.toMatchObject({
      option: 'secretKey',
    });
    const ok = { secretKey: 'x'.repeat(32) };
    expect(() => resolveBrokerOptions({ ...ok, publicUrl: 'ftp://x' })).toThrow(/publicUrl/);
    expect(() => resolveBrokerOptions({ ...ok, grantMaxUses: 0 })).toThrow(/grantMaxUses/);
    expect(() => resolveBrokerOptions({ ...ok, pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
    expect(() =>
      resolveBrokerOptions({ ...ok, rateLimits: { checkoutPerAddress: { limit: 0, windowMs: 1 } } }),
    ).toThrow(/checkoutPerAddress/);
  });

  it('default sensibly', () => {
    const o = resolveBrokerOptions({ secretKey: 'x'.repeat(32), publicUrl: 'https://broker.example/' });
    expect(o).toMatchObject({
      publicUrl: 'https://broker.example',
      serverEndpoints: false,
      reconcileIntervalMs: 60_000,
      grantLifetimeMs: 30 * 86_400_000,
      rateLimits: { checkoutPerAddress: { limit: 20, windowMs: 60_000 }, createAttemptsPerChallenge: 5 },
    });
    expect(o.hitpayBaseUrls).toEqual(['https://api.hit-pay.com', 'https://api.sandbox.hit-pay.com']);
  });

  it('sign with a key supplied by the environment, under the configured issuer', async () => {
    const key = await generateSigningKey('supplied-1');
    const broker = await createBroker({
      database: 'memory://',
      secretKey: 'x'.repeat(32),
      signingKey: JSON.stringify(key.privateJwk),
      publicUrl: 'https://broker.example/',
      reconcileIntervalMs: 0,
    });
    try {
      expect(broker.issuer).toBe('https://broker.example');
      expect((await broker.jwks()).keys.map((k) => k.kid)).toEqual(['supplied-1']);
      const { rows } = await broker.database.query<{ private_jwk_enc: string }>(
        'SELECT private_jwk_enc FROM signing_keys',
      );
      expect(rows[0]!.private_jwk_enc).not.toContain(String(key.privateJwk.d));
    } finally {
      await broker.close();
    }
  });
});

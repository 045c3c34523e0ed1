import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { MppConfigError, MppError } from '@hit-pay/mpp/protocol';

/**
 * Secrets at rest (HitPay API keys, salts, private signing keys) are sealed with AES-256-GCM under
 * a key derived (HKDF-SHA256) from the broker's MPP_SECRET_KEY. Format: `v1.<iv>.<ciphertext+tag>`.
 */
export class SealedBox {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (typeof secret !== 'string' || Buffer.byteLength(secret) < 32) {
      throw new MppConfigError(
        '@hit-pay/mpp-broker',
        'secretKey',
        'must be at least 32 bytes (MPP_SECRET_KEY)',
      );
    }
    this.key = Buffer.from(hkdfSync('sha256', secret, 'hit-pay/mpp-broker', 'at-rest v1', 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  open(sealed: string): string {
    const [v, iv, body] = sealed.split('.');
    if (v !== 'v1' || !iv || !body)
      throw new MppError('internal-payment-error', 'Sealed value has an unknown format');
    const raw = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    } catch (error) {
      // A different MPP_SECRET_KEY than the one that sealed the data: refuse, never guess.
      throw new MppError(
        'internal-payment-error',
        'Sealed value cannot be opened (was MPP_SECRET_KEY changed?)',
        {
          cause: error,
        },
      );
    }
  }
}

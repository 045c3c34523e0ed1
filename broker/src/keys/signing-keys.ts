import { MppConfigError } from '@hit-pay/mpp/protocol';
import { buildJwks, generateSigningKey, importSigningKey, type SigningKey } from '@hit-pay/mpp/receipts';
import type { JWK } from 'jose';
import { type Database, isSqlError } from '../storage/database.js';
import type { SealedBox } from './sealed-box.js';

export interface SigningKeysOptions {
  /** A private Ed25519 JWK (JSON) supplied by the environment (`MPP_SIGNING_KEY`) instead of a generated one. */
  suppliedJwk?: string;
  /** How long a retired key stays in the JWKS (default 90 days: longer than any grant or receipt check). */
  retentionMs?: number;
  /**
   * How often the active key is re-read from the database (default 60 s), so a rotation made by
   * another process (`mpp-broker rotate-keys`, another instance) is picked up without a restart.
   */
  refreshMs?: number;
}

/**
 * The broker's Ed25519 signing keys: generated on first start and stored sealed, or supplied by
 * the environment. Rotation makes a new key active and keeps the old ones in the JWKS, so receipts
 * and grants signed before the rotation still verify.
 */
export class SigningKeys {
  private active: SigningKey | undefined;
  private activeAt = 0;
  private jwksCache: { at: number; doc: { keys: JWK[] } } | undefined;

  constructor(
    private readonly db: Database,
    private readonly box: SealedBox,
    private readonly options: SigningKeysOptions = {},
  ) {}

  /** Loads the active key, creating (or importing the supplied) one on first start. */
  async load(): Promise<SigningKey> {
    if (this.options.suppliedJwk) {
      let jwk: JWK;
      try {
        jwk = JSON.parse(this.options.suppliedJwk) as JWK;
      } catch {
        throw new MppConfigError(
          '@hit-pay/mpp-broker',
          'signingKey',
          'must be a private Ed25519 JWK in JSON (MPP_SIGNING_KEY)',
        );
      }
      const key = await importSigningKey(jwk);
      await this.db.query(
        `INSERT INTO signing_keys (kid, private_jwk_enc, public_jwk, active) VALUES ($1, $2, $3, false)
         ON CONFLICT (kid) DO NOTHING`,
        [key.kid, this.box.seal(JSON.stringify(jwk)), JSON.stringify(key.publicJwk)],
      );
      await this.activate(key.kid);
      this.active = key;
      this.activeAt = Date.now();
      return key;
    }
    const found = await this.readActive();
    if (found) return found;
    try {
      return await this.rotate();
    } catch (error) {
      // Another instance created the first key at the same moment (one active key is UNIQUE).
      if (!isSqlError(error, '23505')) throw error;
      const winner = await this.readActive();
      if (!winner) throw error;
      return winner;
    }
  }

  private async readActive(): Promise<SigningKey | undefined> {
    const { rows } = await this.db.query<{ kid: string; private_jwk_enc: string }>(
      'SELECT kid, private_jwk_enc FROM signing_keys WHERE active',
    );
    const row = rows[0];
    if (!row) return undefined;
    if (this.active?.kid !== row.kid) {
      this.active = await importSigningKey(JSON.parse(this.box.open(row.private_jwk_enc)) as JWK);
      this.jwksCache = undefined;
    }
    this.activeAt = Date.now();
    return this.active;
  }

  /** The key new receipts and grants are signed with. */
  async current(): Promise<SigningKey> {
    if (!this.active) return this.load();
    if (!this.options.suppliedJwk && Date.now() - this.activeAt > (this.options.refreshMs ?? 60_000)) {
      // A failed re-read keeps the key we have: signing must not depend on this refresh.
      await this.readActive().catch(() => undefined);
    }
    return this.active;
  }

  /** Creates a new active key; the previous one is retired but stays published. Returns the new key. */
  async rotate(): Promise<SigningKey> {
    const key = await generateSigningKey();
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE signing_keys SET active = false, retired_at = now() WHERE active');
      await tx.query(
        'INSERT INTO signing_keys (kid, private_jwk_enc, public_jwk, active) VALUES ($1, $2, $3, true)',
        [key.kid, this.box.seal(JSON.stringify(key.privateJwk)), JSON.stringify(key.publicJwk)],
      );
    });
    this.active = key;
    this.activeAt = Date.now();
    this.jwksCache = undefined;
    return key;
  }

  private async activate(kid: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        'UPDATE signing_keys SET active = false, retired_at = coalesce(retired_at, now()) WHERE active AND kid <> $1',
        [kid],
      );
      await tx.query('UPDATE signing_keys SET active = true, retired_at = NULL WHERE kid = $1', [kid]);
    });
  }

  /** The public JWKS: the active key first, then retired keys still within retention. Cached 5 s. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = Date.now();
    if (this.jwksCache && now - this.jwksCache.at < 5000) return this.jwksCache.doc;
    const retention = this.options.retentionMs ?? 90 * 86_400_000;
    const { rows } = await this.db.query<{ public_jwk: JWK | string }>(
      `SELECT public_jwk FROM signing_keys
       WHERE active OR retired_at > $1 ORDER BY active DESC, created_at DESC`,
      [new Date(now - retention)],
    );
    const doc = buildJwks(
      rows.map((r) => (typeof r.public_jwk === 'string' ? JSON.parse(r.public_jwk) : r.public_jwk)),
    );
    this.jwksCache = { at: now, doc };
    return doc;
  }
}

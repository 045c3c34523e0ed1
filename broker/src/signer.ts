import {
  type GrantClaims,
  type ReceiptClaims,
  signGrant,
  signReceipt,
  verifyGrant,
} from '@hit-pay/mpp/receipts';
import type { JWK } from 'jose';
import type { SigningKeys } from './keys/signing-keys.js';

/**
 * Everything the broker signs, under one issuer: receipts (`typ: mpp-receipt+jwt`, audience the
 * realm) and saved-method grants (`typ: mpp-spm+jwt`). Verification of grants uses the broker's
 * own JWKS, retired keys included.
 */
export class Signer {
  constructor(
    private readonly keys: SigningKeys,
    /** `iss` of everything signed here. */
    readonly issuer: string,
    private readonly now: () => number,
  ) {}

  /** Signs a receipt for the realm it was paid at. */
  async receipt(claims: ReceiptClaims, realm: string): Promise<string> {
    return signReceipt(claims, await this.keys.current(), {
      issuer: this.issuer,
      audience: realm,
      now: this.now(),
    });
  }

  /** Signs a grant valid for `lifetimeMs` from now. */
  async grant(claims: GrantClaims, lifetimeMs: number): Promise<{ jws: string; expiresAt: number }> {
    const now = this.now();
    const expiresIn = Math.max(1, Math.floor(lifetimeMs / 1000));
    const jws = await signGrant(claims, await this.keys.current(), {
      issuer: this.issuer,
      audience: claims.realm,
      expiresIn,
      now,
    });
    return { jws, expiresAt: (Math.floor(now / 1000) + expiresIn) * 1000 };
  }

  /**
   * Verifies a grant's signature, `typ` and expiry (60 s tolerance); throws `grant-invalid`. The
   * issuer is not pinned: a grant is ours when our key signed it and its `jti` is the one stored on
   * the saved method, which survives a change of `MPP_PUBLIC_URL`.
   */
  async verifyGrant(token: string): Promise<GrantClaims> {
    return verifyGrant(token, await this.jwks(), { now: this.now() });
  }

  /** The public JWKS. */
  jwks(): Promise<{ keys: JWK[] }> {
    return this.keys.jwks();
  }
}

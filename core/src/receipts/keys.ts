import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { MppError } from '../protocol/errors.js';

/** The JWS algorithm of every receipt and grant (Ed25519). */
export const JWS_ALG = 'EdDSA';

/** A private signing key with its key id and public JWK. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** Public JWK with `kid`, `alg` and `use`, as published in the JWKS. */
  readonly publicJwk: JWK;
}

/** Generates an Ed25519 signing key; `kid` defaults to the RFC 7638 thumbprint. */
export async function generateSigningKey(kid?: string): Promise<SigningKey & { privateJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(JWS_ALG, { crv: 'Ed25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const id = kid ?? (await calculateJwkThumbprint(pub));
  const privateJwk = { ...(await exportJWK(privateKey)), kid: id, alg: JWS_ALG };
  return { kid: id, privateKey, publicJwk: { ...pub, kid: id, alg: JWS_ALG, use: 'sig' }, privateJwk };
}

/** Imports a private Ed25519 JWK (with `kid`) as a signing key. */
export async function importSigningKey(privateJwk: JWK): Promise<SigningKey> {
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || typeof privateJwk.d !== 'string') {
    throw new MppError('invalid-config', 'Signing key must be a private Ed25519 JWK');
  }
  const privateKey = (await importJWK({ ...privateJwk, alg: JWS_ALG }, JWS_ALG)) as CryptoKey;
  const { d: _d, ...pub } = privateJwk;
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(pub));
  return {
    kid,
    privateKey,
    publicJwk: { kty: pub.kty, crv: pub.crv, x: pub.x, kid, alg: JWS_ALG, use: 'sig' },
  };
}

/** A JWKS document (`/.well-known/jwks.json`) of public keys; private members are never included. */
export function buildJwks(keys: readonly JWK[]): { keys: JWK[] } {
  return {
    keys: keys.map(
      (k) => ({ kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: k.alg ?? JWS_ALG, use: 'sig' }) as JWK,
    ),
  };
}

import {
  type CryptoKey,
  createLocalJWKSet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { base64url } from '../protocol/base64url.js';
import { MppError } from '../protocol/errors.js';
import { JWS_ALG, type SigningKey } from './keys.js';

/** `typ` of receipt JWS. Distinct from {@link GRANT_TYP} so one can never pass for the other. */
export const RECEIPT_TYP = 'mpp-receipt+jwt';
/** `typ` of saved-method grant JWS (HitPay MPP's SPM grant). */
export const GRANT_TYP = 'mpp-spm+jwt';

/** Claims of a signed receipt: the Payment-Receipt members plus what was paid for. */
export interface ReceiptClaims extends JWTPayload {
  status: 'success';
  method: string;
  /** HitPay payment id (one-time) or charge id (saved method). */
  reference: string;
  challengeId: string;
  /** Minor units. */
  amount: string;
  currency: string;
  /** Canonical request hash of the request paid for. */
  requestHash: string;
  /** Merchant id at the broker. */
  merchant: string;
  /** Saved-method grant id, for `hitpay-save` charges. */
  grantId?: string;
  /** Minor units left under the grant's total cap after this charge. */
  remaining?: string;
}

/** Claims of a saved-method grant (`typ: mpp-spm+jwt`). `sub` is the saved-method id. */
export interface GrantClaims extends JWTPayload {
  sub: string;
  merchant: string;
  /** The realm (API host) the grant may be used at. */
  realm: string;
  /** Wallet rail, e.g. `grabpay_direct`. */
  rail: string;
  currency: string;
  /** Minor units. */
  maxAmountPerCharge: string;
  /** Minor units, across all charges. */
  totalAmountCap: string;
  /** Most charges allowed, when limited. */
  maxUses?: number;
}

export interface SignOptions {
  /** Broker URL that issues the token (`iss`). */
  issuer: string;
  /** Who may rely on it (`aud`): the realm. */
  audience?: string;
  /** Lifetime in seconds (sets `exp`). */
  expiresIn?: number;
  /** Issue time, epoch ms (default now). */
  now?: number;
}

interface NodeEd25519 {
  sign(algorithm: null, data: Uint8Array, key: object): Uint8Array;
  KeyObject: { from(key: CryptoKey): object };
}

/** node:crypto when present (Node, Bun, Deno), reached without a static import as in protocol/hash.ts. */
const nodeCrypto: NodeEd25519 | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.('node:crypto') as NodeEd25519 | undefined;
  } catch {
    return undefined;
  }
})();
const nodeKeys = new WeakMap<CryptoKey, object>();
const utf8 = new TextEncoder();

/** node:crypto's handle of an Ed25519 private CryptoKey (cached), or undefined to sign with jose. */
function nodeKey(key: CryptoKey): object | undefined {
  // Anything jose would refuse (another algorithm, a key not for signing) goes to jose, which refuses.
  if (
    !nodeCrypto ||
    key.type !== 'private' ||
    key.algorithm?.name !== 'Ed25519' ||
    !key.usages?.includes('sign')
  )
    return undefined;
  let k = nodeKeys.get(key);
  if (k === undefined) {
    try {
      k = nodeCrypto.KeyObject.from(key);
    } catch {
      return undefined;
    }
    nodeKeys.set(key, k);
  }
  return k;
}

async function sign(typ: string, claims: JWTPayload, key: SigningKey, options: SignOptions): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const native = nodeKey(key.privateKey);
  if (native !== undefined) {
    // Synchronous node:crypto Ed25519, byte for byte the token jose writes (same header, same claim
    // order, and Ed25519 is deterministic) without WebCrypto's thread-pool round trip, which
    // measured at 3× the signature itself on the paid path.
    const payload: JWTPayload = { ...claims, iss: options.issuer, iat };
    if (options.audience !== undefined) payload.aud = options.audience;
    if (options.expiresIn !== undefined) payload.exp = iat + options.expiresIn;
    const input = `${base64url.encode(JSON.stringify({ alg: JWS_ALG, typ, kid: key.kid }))}.${base64url.encode(JSON.stringify(payload))}`;
    return `${input}.${base64url.encode(nodeCrypto!.sign(null, utf8.encode(input), native))}`;
  }
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: JWS_ALG, typ, kid: key.kid })
    .setIssuer(options.issuer)
    .setIssuedAt(iat);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(iat + options.expiresIn);
  return jwt.sign(key.privateKey);
}

/** Signs a receipt JWS. */
export function signReceipt(claims: ReceiptClaims, key: SigningKey, options: SignOptions): Promise<string> {
  return sign(RECEIPT_TYP, claims, key, options);
}

/** Signs a saved-method grant JWS. */
export function signGrant(claims: GrantClaims, key: SigningKey, options: SignOptions): Promise<string> {
  return sign(GRANT_TYP, claims, key, options);
}

/** Keys to verify with: a JWKS document, a list of public JWKs, or a key resolver (e.g. {@link RemoteJwks}). */
export type VerificationKeys = { keys: JWK[] } | readonly JWK[] | JWTVerifyGetKey;

export interface VerifyOptions {
  /** Expected `iss` (any when omitted). */
  issuer?: string | string[];
  /** Expected `aud`. */
  audience?: string;
  /** Accepted clock skew in seconds (default 60). */
  clockTolerance?: number;
  /** Verification time, epoch ms (default now). */
  now?: number;
}

function resolver(keys: VerificationKeys): JWTVerifyGetKey {
  if (typeof keys === 'function') return keys;
  return createLocalJWKSet(Array.isArray(keys) ? { keys: [...keys] } : (keys as { keys: JWK[] }));
}

async function verify<T>(
  token: string,
  typ: string,
  keys: VerificationKeys,
  options: VerifyOptions,
  code: 'receipt-invalid' | 'grant-invalid',
): Promise<T> {
  try {
    const { payload } = await jwtVerify(token, resolver(keys), {
      algorithms: [JWS_ALG],
      typ,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance ?? 60,
      currentDate: options.now === undefined ? undefined : new Date(options.now),
    });
    return payload as T;
  } catch (error) {
    if (error instanceof MppError) throw error;
    const reason = error instanceof joseErrors.JOSEError ? error.code : 'ERR_JWS_INVALID';
    throw new MppError(code, `${code === 'grant-invalid' ? 'Grant' : 'Receipt'} JWS rejected (${reason})`, {
      cause: error,
    });
  }
}

/** Verifies a receipt JWS (`typ` must be {@link RECEIPT_TYP}); throws `MppError('receipt-invalid')`. */
export function verifyReceipt(
  token: string,
  keys: VerificationKeys,
  options: VerifyOptions = {},
): Promise<ReceiptClaims> {
  return verify<ReceiptClaims>(token, RECEIPT_TYP, keys, options, 'receipt-invalid');
}

/** Verifies a grant JWS (`typ` must be {@link GRANT_TYP}); throws `MppError('grant-invalid')`. */
export function verifyGrant(
  token: string,
  keys: VerificationKeys,
  options: VerifyOptions = {},
): Promise<GrantClaims> {
  return verify<GrantClaims>(token, GRANT_TYP, keys, options, 'grant-invalid');
}

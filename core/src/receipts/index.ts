/**
 * Ed25519 JWS receipts and saved-method grants, JWKS documents and a cached remote JWKS.
 *
 * @module
 */

export {
  GRANT_TYP,
  type GrantClaims,
  RECEIPT_TYP,
  type ReceiptClaims,
  type SignOptions,
  signGrant,
  signReceipt,
  type VerificationKeys,
  type VerifyOptions,
  verifyGrant,
  verifyReceipt,
} from './jws.js';
export { buildJwks, generateSigningKey, importSigningKey, JWS_ALG, type SigningKey } from './keys.js';
export { type RemoteJwksOptions, reloadingKeySet, remoteJwks } from './remote-jwks.js';

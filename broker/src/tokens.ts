import { createHash, randomBytes } from 'node:crypto';
import { timingSafeEqualStrings } from '@hit-pay/mpp/protocol';

/** A random identifier: `prefix` + 128 bits in base64url (22 characters). */
export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(16).toString('base64url')}`;
}

/** A bearer secret handed out once (setup tokens): 128 random bits, base64url. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * What is stored of a bearer token: its SHA-256. The token has 128 random bits, so a fast hash
 * is enough (nothing to brute-force), and a leaked table reveals no usable token.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(`hit-pay/mpp-broker token v1|${token}`).digest('base64url');
}

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatches(token: string, storedHash: string): boolean {
  return timingSafeEqualStrings(hashToken(token), storedHash);
}

/** SHA-256 hex of raw bytes (webhook de-duplication keys). */
export function digestHex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

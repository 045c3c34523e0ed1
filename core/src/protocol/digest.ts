import { base64url } from './base64url.js';
import { sha256, timingSafeEqual } from './hash.js';

function base64std(bytes: Uint8Array): string {
  // Standard alphabet with padding, as RFC 9530 byte sequences require.
  const url = base64url.encode(bytes);
  let out = '';
  for (let i = 0; i < url.length; i++) {
    const c = url[i]!;
    out += c === '-' ? '+' : c === '_' ? '/' : c;
  }
  return out + '='.repeat((4 - (out.length % 4)) % 4);
}

/**
 * RFC 9530 `Content-Digest` member for SHA-256 of the body bytes: `sha-256=:<base64>:`. This is the
 * value of the challenge's `digest` parameter.
 */
export function contentDigest(body: Uint8Array | string): string {
  return `sha-256=:${base64std(sha256(body))}:`;
}

/**
 * Reads the SHA-256 bytes out of a digest value. Accepts the RFC 9530 form (`sha-256=:…:`) and the
 * colon-less form mppx emits (`sha-256=…`). Undefined for anything else.
 */
export function parseDigest(value: string): Uint8Array | undefined {
  const m = /^sha-256=:?([A-Za-z0-9+/]+={0,2}):?$/.exec(value.trim());
  if (!m) return undefined;
  const b64 = m[1]!;
  const url = b64.replace(/\+/g, '-').replace(/\//g, '_');
  try {
    const bytes = base64url.decode(url.length % 4 === 0 ? url : url.replace(/=+$/, ''));
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** True when `value` is a SHA-256 digest (either form) of exactly these body bytes. */
export function digestMatches(value: string, body: Uint8Array | string): boolean {
  const expected = parseDigest(value);
  if (!expected) return false;
  return timingSafeEqual(expected, sha256(body));
}

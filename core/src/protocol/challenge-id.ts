import { hmacSha256Base64url } from './hash.js';

/** The challenge parameters the id binds. `description` is deliberately not among them. */
export interface ChallengeIdParams {
  realm: string;
  method: string;
  intent: string;
  /** The base64url `request` string exactly as on the wire. */
  request: string;
  expires?: string | undefined;
  digest?: string | undefined;
  /** The base64url `opaque` string exactly as on the wire. */
  opaque?: string | undefined;
  /** -01 only: `Payment-Authorization`. Adds an eighth slot when present. */
  header?: string | undefined;
}

/**
 * The HMAC input of the spec's recommended binding: seven `|`-joined slots
 * (`realm|method|intent|request|expires|digest|opaque`, absent ones empty), plus `|header` only
 * when the -01 `header` parameter is present, so header-less ids are the same under -00 and -01.
 */
export function challengeIdInput(p: ChallengeIdParams): string {
  const base = `${p.realm}|${p.method}|${p.intent}|${p.request}|${p.expires ?? ''}|${p.digest ?? ''}|${p.opaque ?? ''}`;
  return p.header === undefined ? base : `${base}|${p.header}`;
}

/**
 * `base64url(HMAC-SHA256(secret, challengeIdInput(params)))`. A string secret is used as its UTF-8
 * bytes (as mppx and the published vectors do).
 */
export function computeChallengeId(secret: string | Uint8Array, params: ChallengeIdParams): string {
  return hmacSha256Base64url(secret, challengeIdInput(params));
}

import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

export interface RemoteJwksOptions {
  /** Request timeout in ms (default 5000). */
  timeoutMs?: number;
  /** After a refetch, no other refetch for this long (default 30 s): bounds refetch storms on unknown kids. */
  cooldownMs?: number;
  /** A fetched JWKS is trusted for this long before it is refreshed (default 10 min). */
  cacheMaxAgeMs?: number;
}

/**
 * A cached remote JWKS (the broker's `/.well-known/jwks.json`). An unknown `kid` triggers one
 * refetch (key rotation), at most once per cool-down, so forged tokens with random kids cannot make
 * it hammer the broker. Backed by jose's remote key set.
 */
export function remoteJwks(url: string | URL, options: RemoteJwksOptions = {}): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), {
    timeoutDuration: options.timeoutMs ?? 5000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  });
}

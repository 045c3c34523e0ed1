import type { JWTVerifyGetKey } from 'jose';
import { reloadingKeySet, remoteJwks } from '../receipts/remote-jwks.js';
import type { Broker } from './broker-api.js';

/**
 * Keys that verify grants offline on the request path: the embedded broker's own JWKS (refreshed
 * every minute), or a standalone broker's `/.well-known/jwks.json`. Either is reloaded for a `kid`
 * it does not know (at most once a second), so a grant signed right after a key rotation verifies.
 */
export function grantKeys(
  broker: () => Promise<Broker>,
  endpoint: string | undefined,
): () => Promise<JWTVerifyGetKey> {
  const keys = endpoint
    ? remoteJwks(new URL('/.well-known/jwks.json', endpoint))
    : reloadingKeySet(async () => (await broker()).jwks(), { cacheMaxAgeMs: 60_000 });
  return async () => keys;
}

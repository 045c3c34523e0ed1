import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';
import { remoteJwks } from '../receipts/remote-jwks.js';
import type { Broker } from './broker-api.js';

/**
 * Keys that verify grants offline on the request path. Embedded: the broker's own JWKS, rebuilt
 * at most once a minute. Remote: the broker's `/.well-known/jwks.json`, cached with a cool-down.
 */
export function grantKeys(
  broker: () => Promise<Broker>,
  endpoint: string | undefined,
): () => Promise<JWTVerifyGetKey> {
  if (endpoint) {
    const remote = remoteJwks(new URL('/.well-known/jwks.json', endpoint));
    return async () => remote;
  }
  let cached: { at: number; keys: JWTVerifyGetKey } | undefined;
  return async () => {
    const now = Date.now();
    if (!cached || now - cached.at > 60_000) {
      const jwks = await (await broker()).jwks();
      cached = { at: now, keys: createLocalJWKSet({ keys: jwks.keys as unknown as JWK[] }) };
    }
    return cached.keys;
  };
}

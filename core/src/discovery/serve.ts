import { tlsRequired } from '../engine/offers.js';
import type { ResolvedEngineOptions } from '../engine/options.js';
import { problemResponse } from '../engine/responses.js';
import type { MppRequest, RespondDecision } from '../engine/types.js';
import { MppError } from '../protocol/errors.js';

/** Where the draft puts the document (draft-payment-discovery-00 §4.1). */
export const DISCOVERY_PATH = '/openapi.json';

/**
 * `max-age=300` is the draft's recommendation; `public` because the document is the same for every
 * client and carries nothing private, so shared caches may keep it.
 */
export const DISCOVERY_CACHE_CONTROL = 'public, max-age=300';

/** True when the request target is the discovery document (with or without a query). */
export function isDiscoveryTarget(target: string): boolean {
  return target === DISCOVERY_PATH || target.startsWith(`${DISCOVERY_PATH}?`);
}

/**
 * The answer to a request for the document: 200 JSON on GET and HEAD, or undefined for any other
 * method (not ours: the app answers it). The draft requires HTTPS, and the engine's TLS rule for
 * challenges applies here too (`requireTls`; loopback and non-production hosts are exempt under
 * `'auto'`), so plain HTTP gets the same 403 `tls-required` a protected route would.
 */
export function discoveryResponse(
  opts: ResolvedEngineOptions,
  req: MppRequest,
  body: () => Uint8Array,
): RespondDecision | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  if (tlsRequired(opts, req))
    return problemResponse(new MppError('tls-required', 'Discovery is served over HTTPS only'), []);
  return {
    kind: 'respond',
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['cache-control', DISCOVERY_CACHE_CONTROL],
      // Public and credential-free: browser agents may read it from any origin (draft §7.3).
      ['access-control-allow-origin', '*'],
    ],
    // Bytes, not text: some frameworks append `; charset=utf-8` to a string body's media type,
    // which JSON does not define (RFC 8259 §11); the draft names `application/json` exactly.
    body: body(),
  };
}

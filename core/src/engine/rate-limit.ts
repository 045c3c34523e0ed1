import { MppError } from '../protocol/errors.js';
import { sha256Base64url } from '../protocol/hash.js';
import type { Store, WindowCount } from './store.js';
import type { MppRequest } from './types.js';

/**
 * Limits of the engine's `rateLimit` option (RFC R52): at most `max` payment decisions — 402
 * issuances and credential verifications alike — per client key in a fixed window of
 * `windowSeconds`. Past it the gate answers 429 `rate-limited` with `Retry-After` (the seconds
 * left in the window), issues no challenge and runs no handler.
 */
export interface RateLimitOptions {
  /** Decisions allowed per key and window (a positive integer). */
  max: number;
  /** Window length in seconds (1 to 86400). */
  windowSeconds: number;
  /**
   * The client key a request counts against, or undefined to leave the request unlimited. Default:
   * the client address (`req.remoteAddress`, which is the proxy-appended `X-Forwarded-For` entry
   * under `trustProxy`). The Fetch API knows no address, so `createMpp` routes are limited only
   * when you give a key (for instance your platform's client-IP header).
   */
  key?: (req: MppRequest) => string | undefined;
}

/** The rate limit after validation. */
export interface ResolvedRateLimit {
  readonly max: number;
  readonly windowMs: number;
  readonly key: (req: MppRequest) => string | undefined;
}

/** The default key: the client address the adapter saw (trustProxy-aware). */
export const remoteAddressKey = (req: MppRequest): string | undefined => req.remoteAddress;

/** Store keys stay short and free of separators whatever a key function returns. */
function storeKey(key: string): string {
  return key.length <= 64 && /^[\w.:[\]-]+$/.test(key) ? `rate:${key}` : `rate:#${sha256Base64url(key)}`;
}

/**
 * Counts one decision against the request's key. Returns undefined (nothing to wait for) when the
 * request has no key, so the unlimited path costs no promise; otherwise a promise that rejects with
 * `rate-limited` past the limit, or `service-unavailable` when the store cannot count (fail closed,
 * as claims do: a limiter that waves requests through while its store is down limits nothing).
 */
export function countDecision(
  store: Store,
  limit: ResolvedRateLimit,
  req: MppRequest,
): Promise<void> | undefined {
  const key = limit.key(req);
  if (key === undefined || key === '') return undefined;
  return store.increment!(storeKey(key), limit.windowMs).then(
    (window: WindowCount) => {
      if (window.count <= limit.max) return;
      const retryAfter = Math.max(1, Math.ceil(window.resetMs / 1000));
      throw new MppError('rate-limited', `Too many payment requests; retry in ${retryAfter} s`, {
        retryAfter,
      });
    },
    (error: unknown) => {
      if (error instanceof MppError) throw error;
      throw new MppError('service-unavailable', 'Rate limit store is unavailable', {
        cause: error,
        retryAfter: 1,
      });
    },
  );
}

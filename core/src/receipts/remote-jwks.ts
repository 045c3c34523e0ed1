import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose';

export interface RemoteJwksOptions {
  /** Request timeout in ms (default 5000). */
  timeoutMs?: number;
  /**
   * Least time between two loads (default 1 s): forged kids cannot make the verifier load more
   * than once per cool-down. A token with an unknown `kid` waits out up to 1 s of it and is then
   * checked against a fresh load, so a key rotated a moment ago verifies; under a longer cool-down
   * it is refused until the cool-down ends.
   */
  cooldownMs?: number;
  /** A loaded JWKS is trusted for this long before it is refreshed (default 10 min). */
  cacheMaxAgeMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The longest an unknown kid waits for the cool-down to end (a connection held, not a refusal). */
const MAX_WAIT_MS = 1000;

/**
 * A key set loaded on demand by `load`: refreshed in the background when older than
 * `cacheMaxAgeMs` (the old keys serve meanwhile, and if the refresh fails), and reloaded for a `kid`
 * it does not hold. Concurrent reloads share one load.
 */
export function reloadingKeySet(
  load: () => Promise<{ keys: readonly unknown[] }>,
  options: Pick<RemoteJwksOptions, 'cooldownMs' | 'cacheMaxAgeMs'> = {},
): JWTVerifyGetKey {
  const cooldownMs = options.cooldownMs ?? 1000;
  const maxAgeMs = options.cacheMaxAgeMs ?? 600_000;
  let current: { at: number; keys: JWTVerifyGetKey } | undefined;
  let pending: Promise<JWTVerifyGetKey> | undefined;
  let lastLoad = Number.NEGATIVE_INFINITY;

  /**
   * A fresh load, shared by concurrent callers, after waiting out at most `maxWait` ms of the
   * cool-down; undefined when more of it is left.
   */
  const reload = (maxWait: number): Promise<JWTVerifyGetKey> | undefined => {
    if (pending) return maxWait > 0 ? pending : undefined;
    const wait = lastLoad + cooldownMs - Date.now();
    if (wait > maxWait) return undefined;
    pending = (async () => {
      if (wait > 0) await sleep(wait);
      try {
        const jwks = await load();
        current = { at: Date.now(), keys: createLocalJWKSet({ keys: jwks.keys as JWK[] }) };
        return current.keys;
      } finally {
        lastLoad = Date.now();
        pending = undefined;
      }
    })();
    return pending;
  };

  /** The keys to try first: the cached ones, refreshed when stale (stale ones serve meanwhile). */
  const usable = async (): Promise<JWTVerifyGetKey> => {
    if (!current) {
      const first = reload(MAX_WAIT_MS);
      if (!first) throw new Error('JWKS unavailable (cool-down after a failed load)');
      return first;
    }
    // `>=`: a key set is trusted for less than maxAgeMs, so a zero max age always refreshes.
    if (Date.now() - current.at >= maxAgeMs) reload(0)?.catch(() => undefined);
    return current.keys;
  };

  return async (header, token) => {
    const keys = await usable();
    try {
      return await keys(header, token);
    } catch (error) {
      const fresh =
        (error as { code?: unknown } | null)?.code === 'ERR_JWKS_NO_MATCHING_KEY' && reload(MAX_WAIT_MS);
      if (!fresh) throw error;
      return (await fresh)(header, token);
    }
  };
}

/** Fetches a JWKS document, refusing anything but a 200 JSON object with a `keys` array. */
async function fetchJwks(url: URL, timeoutMs: number): Promise<{ keys: readonly unknown[] }> {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`JWKS ${url} answered ${res.status}`);
  const body = (await res.json()) as { keys?: unknown };
  if (!Array.isArray(body?.keys)) throw new Error(`JWKS ${url} has no keys array`);
  return { keys: body.keys };
}

/**
 * A cached remote JWKS (the broker's `/.well-known/jwks.json`): refreshed every `cacheMaxAgeMs`,
 * and fetched again for an unknown `kid` (key rotation) at most once per cool-down, so forged
 * tokens with random kids cannot make it hammer the broker.
 */
export function remoteJwks(url: string | URL, options: RemoteJwksOptions = {}): JWTVerifyGetKey {
  const target = new URL(url);
  return reloadingKeySet(() => fetchJwks(target, options.timeoutMs ?? 5000), options);
}

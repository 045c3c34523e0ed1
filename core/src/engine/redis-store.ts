import { MppConfigError, MppError } from '../protocol/errors.js';
import type { Store, WindowCount } from './store.js';

/**
 * The subset of an ioredis client this store uses. `get` and `eval` back Idempotency-Key records
 * and rate limits; ioredis has them, and a client of your own without them answers those calls
 * with `service-unavailable`.
 */
export interface RedisLike {
  set(key: string, value: string, px: 'PX', ttl: number, nx: 'NX'): Promise<'OK' | null>;
  set(key: string, value: string, px: 'PX', ttl: number): Promise<'OK' | null>;
  del(key: string): Promise<number>;
  pexpire(key: string, ttl: number): Promise<number>;
  get?(key: string): Promise<string | null>;
  eval?(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect?(): void;
  status?: string;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  once?(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface RedisStoreOptions {
  /** An ioredis client, or a `redis://` URL (ioredis is then loaded on demand). Default `REDIS_URL`. */
  client?: RedisLike | string;
  /** Prefix for every key (default `mpp:`). */
  keyPrefix?: string;
  /**
   * Longest wait for one Redis command (default 2000 ms), then `service-unavailable`. A client of
   * your own may queue commands while Redis is down (ioredis' offline queue): without this bound a
   * paid request would hang until Redis came back or the client gave up.
   */
  commandTimeoutMs?: number;
}

/**
 * A fixed window in one round trip: INCR, start the window's expiry on its first event (or repair a
 * key that lost its TTL), answer the count and the ms left. A script runs atomically in Redis.
 */
const INCREMENT_SCRIPT = `local n = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if n == 1 or t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {n, t}`;

/**
 * Claims in Redis with `SET key 1 PX ttl NX`, atomic across any number of API instances; values
 * with `SET key value PX ttl [NX]`; counters with an INCR script. Every Redis failure rejects with
 * `service-unavailable`: the store fails closed, never open.
 */
export class RedisStore implements Store {
  private clientPromise: Promise<RedisLike>;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private ownsClient: boolean;

  constructor(options: RedisStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? 'mpp:';
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new MppConfigError('@hit-pay/mpp', 'store.commandTimeoutMs', 'must be a positive number of ms');
    }
    const client = options.client ?? process.env.REDIS_URL;
    if (client === undefined || client === '') {
      throw new MppConfigError(
        '@hit-pay/mpp',
        'store.client',
        'needs an ioredis client or a redis:// URL (REDIS_URL)',
      );
    }
    this.ownsClient = typeof client === 'string';
    this.clientPromise =
      typeof client === 'string'
        ? import('ioredis').then(async (m) => {
            const Redis = (m as unknown as { default: new (url: string, o: object) => RedisLike }).default;
            // Fail fast instead of queueing commands while Redis is down: a queued claim is a hang.
            const c = new Redis(client, {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              connectTimeout: 2000,
              retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
            });
            // Connection errors surface on each command as service-unavailable; keep the event quiet.
            c.on?.('error', () => {});
            await new Promise<void>((resolve) => {
              if (c.status === 'ready') return resolve();
              const timer = setTimeout(resolve, 2000);
              c.once?.('ready', () => {
                clearTimeout(timer);
                resolve();
              });
            });
            return c;
          })
        : Promise.resolve(client);
  }

  private async run<T>(fn: (c: RedisLike) => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const work = this.clientPromise.then(fn);
      // A command that answers after we gave up must not surface as an unhandled rejection.
      work.catch(() => {});
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      return await Promise.race([work, late]);
    } catch (error) {
      throw new MppError('service-unavailable', 'Replay store (Redis) is unavailable', {
        cause: error,
        retryAfter: 1,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return (await this.run((c) => c.set(this.prefix + key, '1', 'PX', ttl, 'NX'))) === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.run((c) => c.del(this.prefix + key));
  }

  async extend(key: string, ttlMs: number): Promise<void> {
    await this.run((c) => c.pexpire(this.prefix + key, Math.max(1, Math.ceil(ttlMs))));
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.run((c) => need(c.get, 'get').call(c, this.prefix + key));
    return value ?? undefined;
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return (await this.run((c) => c.set(this.prefix + key, value, 'PX', ttl, 'NX'))) === 'OK';
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run((c) => c.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const window = Math.max(1, Math.ceil(windowMs));
    const answer = await this.run((c) =>
      need(c.eval, 'eval').call(c, INCREMENT_SCRIPT, 1, this.prefix + key, window),
    );
    const [count, resetMs] = answer as [number, number];
    return { count: Number(count), resetMs: Number(resetMs) };
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    const c = await this.clientPromise;
    if (c.status === 'ready') await c.quit();
    else c.disconnect?.();
  }
}

/** A client method this store needs, or a failure (reported as `service-unavailable`). */
function need<F>(fn: F | undefined, name: string): F {
  if (typeof fn !== 'function') throw new Error(`the Redis client has no ${name}()`);
  return fn;
}

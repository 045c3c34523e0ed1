import { MppError } from '../protocol/errors.js';

/**
 * Atomic single-use claims, the replay guard behind one-time proofs. `memory` is the default for a
 * single process; `RedisStore` (`@hit-pay/mpp/redis`) serves several instances.
 *
 * The optional members serve opt-in engine features: `get` / `add` / `set` hold Idempotency-Key
 * records (`idempotency`), `increment` counts requests (`rateLimit`). A store without them still
 * works; the engine refuses, at start-up, to enable a feature its store cannot back.
 */
export interface Store {
  /**
   * Claims `key` for `ttlMs` milliseconds. Resolves true for exactly one caller among concurrent
   * claimants of the same live key. Must fail closed: an unreachable backend rejects, never "true".
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back so the key can be claimed again (a released payment); also deletes a value. */
  release(key: string): Promise<void>;
  /** Changes the remaining lifetime of a held claim (a committed payment is kept until expiry). */
  extend(key: string, ttlMs: number): Promise<void>;
  /**
   * The live value stored under `key` by `add` or `set`, else undefined. Values are a cache, not a
   * guard: a store may drop one before its TTL under memory pressure, so never rely on a value to
   * refuse anything — that is what `claim` is for.
   */
  get?(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` unless a live value is there: atomic put-if-absent. */
  add?(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Stores `value` under `key` for `ttlMs`, replacing any value. */
  set?(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Counts one event under `key` in a fixed window of `windowMs` that starts with the key's first
   * event: resolves the count so far in this window and the ms until it ends. Atomic across callers.
   */
  increment?(key: string, windowMs: number): Promise<WindowCount>;
  /** Releases resources (connections). */
  close?(): Promise<void>;
}

/** What {@link Store.increment} answers. */
export interface WindowCount {
  /** Events counted in the current window, this one included. */
  readonly count: number;
  /** Milliseconds until the window ends and the count starts again. */
  readonly resetMs: number;
}

export interface MemoryStoreOptions {
  /**
   * Most live claims held at once (default 1,000,000). A full store refuses new claims (fail
   * closed). The same bound applies, separately, to values and to rate counters.
   */
  maxEntries?: number;
  /** Most bytes of values held at once (default 64 MiB, counted as UTF-16 code units × 2). */
  maxValueBytes?: number;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
}

/**
 * In-process store. Bounded: expired claims are swept incrementally, and when the live set is
 * full a new claim is refused with `service-unavailable` rather than evicting a live claim, since
 * evicting one would re-open a replay. Values and rate counters are bounded too, but evict their
 * oldest entries instead: losing an idempotency record only loses a replay (the payment's claim
 * still refuses a second delivery), and losing a counter only restarts one client's window, while
 * refusing would let anyone who fills the map deny service to everyone.
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, number>();
  private readonly values = new Map<string, { readonly value: string; readonly expiresAt: number }>();
  private readonly counters = new Map<string, { count: number; readonly resetAt: number }>();
  private readonly max: number;
  private readonly maxValueBytes: number;
  private readonly now: () => number;
  private sinceSweep = 0;
  private valueBytes = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.max = options.maxEntries ?? 1_000_000;
    this.maxValueBytes = options.maxValueBytes ?? 64 * 1024 * 1024;
    this.now = options.now ?? Date.now;
  }

  /** Number of claims currently held (expired ones may linger until swept). */
  get size(): number {
    return this.entries.size;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const expiresAt = this.entries.get(key);
    if (expiresAt !== undefined) {
      if (expiresAt > now) return false;
      this.entries.delete(key);
    }
    if (++this.sinceSweep >= 256) this.sweep(now, 64);
    if (this.entries.size >= this.max) {
      this.sweep(now, Number.POSITIVE_INFINITY);
      if (this.entries.size >= this.max) throw new MppError('service-unavailable', 'Replay store is full');
    }
    this.entries.set(key, now + ttlMs);
    return true;
  }

  async release(key: string): Promise<void> {
    this.entries.delete(key);
    if (this.values.size > 0) this.dropValue(key);
  }

  async extend(key: string, ttlMs: number): Promise<void> {
    if (this.entries.has(key)) {
      // Re-insert so insertion order roughly tracks expiry order for the incremental sweep.
      this.entries.delete(key);
      this.entries.set(key, this.now() + ttlMs);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.values.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.dropValue(key);
    return undefined;
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    if ((await this.get(key)) !== undefined) return false;
    this.putValue(key, value, ttlMs);
    return true;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.putValue(key, value, ttlMs);
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now();
    const counter = this.counters.get(key);
    if (counter !== undefined && counter.resetAt > now) {
      counter.count++;
      return { count: counter.count, resetMs: counter.resetAt - now };
    }
    // A new window goes to the end, so insertion order is window order: the oldest go first.
    this.counters.delete(key);
    if (this.counters.size >= this.max) {
      for (const [k, c] of this.counters) {
        if (c.resetAt <= now || this.counters.size >= this.max) this.counters.delete(k);
        else break;
      }
    }
    this.counters.set(key, { count: 1, resetAt: now + windowMs });
    return { count: 1, resetMs: windowMs };
  }

  private putValue(key: string, value: string, ttlMs: number): void {
    this.dropValue(key);
    const now = this.now();
    const bytes = value.length * 2;
    if (bytes > this.maxValueBytes) return;
    // Expired values first, then the oldest live ones (see the class comment for why evicting is safe).
    for (const [k, v] of this.values) {
      const full = this.values.size >= this.max || this.valueBytes + bytes > this.maxValueBytes;
      if (!full && v.expiresAt > now) break;
      this.dropValue(k);
    }
    this.values.set(key, { value, expiresAt: now + ttlMs });
    this.valueBytes += bytes;
  }

  private dropValue(key: string): void {
    const entry = this.values.get(key);
    if (entry === undefined) return;
    this.values.delete(key);
    this.valueBytes -= entry.value.length * 2;
  }

  /** Deletes expired entries from the oldest end; stops after `budget` live ones. */
  private sweep(now: number, budget: number): void {
    this.sinceSweep = 0;
    let live = 0;
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(key);
      else if (++live >= budget) break;
    }
  }
}

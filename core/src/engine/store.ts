import { MppError } from '../protocol/errors.js';

/**
 * Atomic single-use claims, the replay guard behind one-time proofs. `memory` is the default for a
 * single process; `RedisStore` (`@hit-pay/mpp/redis`) serves several instances.
 */
export interface Store {
  /**
   * Claims `key` for `ttlMs` milliseconds. Resolves true for exactly one caller among concurrent
   * claimants of the same live key. Must fail closed: an unreachable backend rejects, never "true".
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back so the key can be claimed again (a released payment). */
  release(key: string): Promise<void>;
  /** Changes the remaining lifetime of a held claim (a committed payment is kept until expiry). */
  extend(key: string, ttlMs: number): Promise<void>;
  /** Releases resources (connections). */
  close?(): Promise<void>;
}

export interface MemoryStoreOptions {
  /** Most live claims held at once (default 1,000,000). A full store refuses new claims (fail closed). */
  maxEntries?: number;
  /** Clock in epoch ms (tests inject one). */
  now?: () => number;
}

/**
 * In-process store. Bounded: expired claims are swept incrementally, and when the live set is
 * full a new claim is refused with `service-unavailable` rather than evicting a live claim, since
 * evicting one would re-open a replay.
 */
export class MemoryStore implements Store {
  private readonly entries = new Map<string, number>();
  private readonly max: number;
  private readonly now: () => number;
  private sinceSweep = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.max = options.maxEntries ?? 1_000_000;
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
  }

  async extend(key: string, ttlMs: number): Promise<void> {
    if (this.entries.has(key)) {
      // Re-insert so insertion order roughly tracks expiry order for the incremental sweep.
      this.entries.delete(key);
      this.entries.set(key, this.now() + ttlMs);
    }
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

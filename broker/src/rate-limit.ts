import { MppError } from '@hit-pay/mpp/protocol';
import type { RateLimit } from './options.js';
import type { Database } from './storage/database.js';

/**
 * Fixed-window counters in the `rate_limits` table, so every broker instance on the same
 * database shares them. One statement per hit (an upsert that restarts an elapsed window), so
 * concurrent hits never lose a count.
 */
export class RateLimiter {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** Counts one event under `key`; throws `rate-limited` (with `retryAfter`) past the limit. */
  async hit(key: string, rule: RateLimit | false, what: string): Promise<void> {
    if (!rule) return;
    const now = this.now();
    const { rows } = await this.db.query<{ count: number; window_start: Date }>(
      `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END,
         window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
       RETURNING count, window_start`,
      [key.slice(0, 200), new Date(now), new Date(now - rule.windowMs)],
    );
    const row = rows[0]!;
    if (Number(row.count) > rule.limit) {
      const retryAfter = Math.max(1, Math.ceil((row.window_start.getTime() + rule.windowMs - now) / 1000));
      throw new MppError('rate-limited', `Too many ${what}; retry in ${retryAfter} s`, { retryAfter });
    }
  }

  /** Forgets windows that ended before `before` (the reconciler's housekeeping). */
  async prune(before: number): Promise<void> {
    await this.db.query('DELETE FROM rate_limits WHERE window_start < $1', [new Date(before)]);
  }
}

import { PaymentTimeout } from './errors.js';

export interface PollOptions {
  /** First wait, ms (default 1000); grows ×1.5 up to `maxInterval`. */
  interval?: number;
  maxInterval?: number;
  /** Give up after this many ms (default 15 minutes). */
  timeout?: number;
  signal?: AbortSignal;
  /** Called once per attempt with the elapsed ms (progress displays). */
  onTick?: (elapsedMs: number) => void;
}

/** Waits `ms`, or rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `attempt` until it returns a value, with backoff. `attempt` may return a number to ask
 * for that many seconds before the next try (a server's Retry-After).
 */
export async function poll<T>(
  attempt: () => Promise<{ done: true; value: T } | { done: false; retryAfter?: number }>,
  options: PollOptions = {},
): Promise<T> {
  const started = Date.now();
  const timeout = options.timeout ?? 15 * 60_000;
  let interval = options.interval ?? 1000;
  const max = options.maxInterval ?? 5000;
  for (;;) {
    options.signal?.throwIfAborted();
    const r = await attempt();
    if (r.done) return r.value;
    const elapsed = Date.now() - started;
    options.onTick?.(elapsed);
    if (elapsed >= timeout) throw new PaymentTimeout(`No payment after ${Math.round(elapsed / 1000)} s`);
    const wait = Math.min(
      r.retryAfter !== undefined ? Math.max(r.retryAfter * 1000, interval) : interval,
      timeout - elapsed,
    );
    await sleep(wait, options.signal);
    interval = Math.min(Math.round(interval * 1.5), max);
  }
}

/**
 * One HTTP exchange with HitPay: JSON in and out, `X-BUSINESS-API-KEY`, a timeout per attempt,
 * HitPay's error bodies turned into {@link HitPayError}s and 2xx bodies checked against a schema.
 * Only idempotent calls (GET) are retried here; creates retry in the client, after a lookup.
 */
import type { z } from 'zod';
import { HitPayError, type HitPayErrorDetails } from './errors.js';

/** Resolved transport settings. */
export interface TransportOptions {
  readonly apiKey: string;
  /** Base URL without `/v1` or a trailing slash. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  /** Extra attempts for retryable failures of idempotent calls. */
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly fetch: typeof fetch;
}

/** One API call. */
export interface CallSpec<T> {
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path from the host, e.g. `/v1/payment-requests`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: Record<string, unknown>;
  schema: z.ZodType<T>;
  /** Safe to repeat: retried on 5xx/429/timeouts/network errors, and never `outcomeUnknown`. */
  idempotent: boolean;
  signal?: AbortSignal;
}

const MAX_BACKOFF_MS = 10_000;
// Errors raised before a request could reach HitPay: repeating them cannot double anything.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'TimeoutError' || errorCode(error) === 'UND_ERR_HEADERS_TIMEOUT')
  );
}

function laravelBody(json: unknown): { message?: string; errors?: Record<string, string[]> } {
  if (typeof json !== 'object' || json === null) return {};
  const { message, errors } = json as { message?: unknown; errors?: unknown };
  const out: { message?: string; errors?: Record<string, string[]> } = {};
  if (typeof message === 'string') out.message = message.slice(0, 500);
  if (typeof errors === 'object' && errors !== null && !Array.isArray(errors)) {
    out.errors = Object.fromEntries(
      Object.entries(errors).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]),
    );
  }
  return out;
}

/** The HTTP layer of the client; see the module comment. */
export class HitPayTransport {
  constructor(readonly options: TransportOptions) {}

  /** Runs a call, retrying idempotent ones with backoff. */
  async call<T>(spec: CallSpec<T>): Promise<T> {
    const attempts = spec.idempotent ? this.options.retries + 1 : 1;
    for (let i = 0; ; i++) {
      try {
        return await this.attempt(spec);
      } catch (error) {
        if (!(error instanceof HitPayError) || !error.retryable || i + 1 >= attempts) throw error;
        await this.backoff(i, error, spec.signal);
      }
    }
  }

  /** Waits before retry `i` (0-based): exponential with jitter, or HitPay's `Retry-After` on a 429. */
  async backoff(i: number, error: HitPayError | undefined, signal?: AbortSignal): Promise<void> {
    const retryAfter = error?.retryAfter;
    const base = Math.min(MAX_BACKOFF_MS, this.options.retryBaseDelayMs * 2 ** i);
    const ms =
      retryAfter !== undefined
        ? Math.min(MAX_BACKOFF_MS, retryAfter * 1000)
        : base / 2 + Math.random() * (base / 2);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** One attempt, no retries. */
  async attempt<T>(spec: CallSpec<T>): Promise<T> {
    const url = new URL(this.options.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([timeout, spec.signal]) : timeout;
    const fail = (
      details: Omit<HitPayErrorDetails, 'operation'>,
      detail: string,
      cause?: unknown,
      retryAfter?: number,
    ) => new HitPayError({ operation: spec.operation, ...details }, detail, { cause, retryAfter });

    let res: Response;
    let text: string;
    try {
      res = await this.options.fetch(url, {
        method: spec.method,
        headers: {
          'X-BUSINESS-API-KEY': this.options.apiKey,
          Accept: 'application/json',
          'X-Requested-With': 'XMLHttpRequest',
          ...(spec.body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: spec.body ? JSON.stringify(spec.body) : undefined,
        signal,
      });
      text = await res.text();
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (isTimeout(error) || timeout.aborted) {
        throw fail(
          { kind: 'timeout', retryable: true, outcomeUnknown: !spec.idempotent },
          `no answer within ${this.options.timeoutMs} ms`,
          error,
        );
      }
      const code = errorCode(error);
      const sent = code === undefined || !NOT_SENT.has(code);
      throw fail(
        { kind: 'network', retryable: true, outcomeUnknown: !spec.idempotent && sent },
        `network error${code ? ` (${code})` : ''}`,
        error,
      );
    }

    let json: unknown;
    let parsed = true;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = false;
    }
    if (!res.ok) {
      const { message, errors } = laravelBody(json);
      const transient = res.status >= 500 || res.status === 429;
      const retryAfter = Number(res.headers.get('retry-after'));
      throw fail(
        {
          kind: 'http',
          hitpayStatus: res.status,
          hitpayMessage: message,
          hitpayErrors: errors,
          retryable: transient,
          // A 5xx may come after the work was done; a 4xx (429 included) means it was refused.
          outcomeUnknown: !spec.idempotent && res.status >= 500,
        },
        `${res.status}${message ? ` ${message}` : ''}`,
        undefined,
        res.status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
      );
    }
    const checked = parsed ? spec.schema.safeParse(json) : undefined;
    if (!checked?.success) {
      throw fail(
        { kind: 'invalid-response', hitpayStatus: res.status, outcomeUnknown: !spec.idempotent },
        parsed
          ? `unexpected response shape (${checked?.error.issues[0]?.path.join('.') || 'root'})`
          : 'response is not JSON',
        checked?.error,
      );
    }
    return checked.data;
  }
}

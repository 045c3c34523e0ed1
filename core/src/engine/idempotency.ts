import { base64url } from '../protocol/base64url.js';
import { MppError } from '../protocol/errors.js';
import { sha256Base64url } from '../protocol/hash.js';
import { readStreamBounded } from './fetch-bridge.js';
import type { Logger } from './logger.js';
import { withPrivate } from './responses.js';
import type { Store } from './store.js';
import type { HeaderEntry, MppRequest, RespondDecision, ResponseRecorder } from './types.js';

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header; RFC R47). A client that repeats a
 * paid POST/PUT/PATCH/DELETE with the same `Idempotency-Key` and the same credential gets the
 * original response back, and the handler does not run again:
 *
 * - The record lives under `idem:<realm>:<challenge id>:<sha256(key)>`, so keys are scoped to one
 *   paid challenge and cannot collide across payers.
 * - Its fingerprint is the request hash (method, target, body digest) and the credential header. A
 *   replay needs the very credential that was verified the first time: the lookup happens before
 *   the method's proof check (which would refuse the spent credential), so this is what keeps
 *   anyone holding only the challenge and the key from reading a paid response.
 * - States: absent → claimed as `pending` atomically, then the request runs; `pending` → 409
 *   `idempotency-conflict`; another fingerprint → 422 `idempotency-mismatch`; `done` → the stored
 *   status, headers (the original `Payment-Receipt`, `Cache-Control: private`) and body, with
 *   `Idempotent-Replayed: true`; `gone` → 409 `idempotency-unavailable`.
 * - Only an answer whose payment is kept is recorded: a 2xx, or any answer on a
 *   `settlement: 'always'` route. Any other answer deletes the record, as it releases the
 *   payment, so a retry runs again. A kept answer whose body is over `maxBodyBytes`, or that never
 *   went out whole (the handler died mid-stream), is kept as `gone`: the payment was committed, so
 *   running the handler again would deliver twice, and its response cannot be repeated.
 * - A stored response is replayed for `ttlSeconds` even after the challenge expired.
 */
export interface IdempotencyOptions {
  /** How long a completed response can be replayed, in seconds (default 86400: one day). */
  ttlSeconds?: number;
  /** Largest response body kept for replay, in bytes (default 256 KiB). */
  maxBodyBytes?: number;
}

/** Idempotency settings after validation. */
export interface ResolvedIdempotency {
  readonly ttlMs: number;
  readonly maxBodyBytes: number;
}

/** The response header marking a replayed answer (the name Stripe and others use). */
export const IDEMPOTENT_REPLAYED = 'idempotent-replayed';

/** Methods the draft's idempotency applies to: the unsafe ones of RFC 9110 that a client retries. */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An sf-string (RFC 8941 §3.3.3): printable ASCII in quotes, `\"` and `\\` escaped. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
/** A bare key as many clients send it: visible ASCII without quotes or commas. */
const BARE_KEY = /^[\x21\x23-\x2b\x2d-\x7e]+$/;

/**
 * The request's Idempotency-Key, or undefined when it has none or its method is safe. The draft's
 * form is an sf-string (`"8e03978e-…"`); a bare token is accepted too and names the same key.
 * Throws `bad-request` for anything else, empty, longer than 255 characters, or repeated.
 */
export function idempotencyKeyOf(req: MppRequest): string | undefined {
  if (!UNSAFE.has(req.method)) return undefined;
  const raw = req.header('idempotency-key');
  if (raw === undefined) return undefined;
  const value = raw.trim();
  const key = value.startsWith('"')
    ? SF_STRING.exec(value)?.[1]?.replace(/\\(["\\])/g, '$1')
    : BARE_KEY.test(value)
      ? value
      : undefined;
  if (!key || key.length > 255) {
    throw new MppError(
      'bad-request',
      'Idempotency-Key must be one string of 1 to 255 printable ASCII characters',
    );
  }
  return key;
}

type IdemRecord =
  | { readonly s: 'pending'; readonly fp: string }
  | {
      readonly s: 'done';
      readonly fp: string;
      readonly status: number;
      readonly headers: readonly HeaderEntry[];
      /** base64url of the body. */
      readonly body: string;
    }
  | { readonly s: 'gone'; readonly fp: string; readonly status: number; readonly why: string };

/** Response headers never stored: connection-level, or recomputed when the replay is written. */
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'content-length',
  'date',
]);

/** The headers of a response worth replaying, in order. */
export function replayableHeaders(entries: Iterable<readonly [string, unknown]>): HeaderEntry[] {
  const out: HeaderEntry[] = [];
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (NOT_STORED.has(name) || value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, String(v)]);
    else out.push([name, String(value)]);
  }
  return out;
}

/** A store that can hold idempotency records (options check this at start-up). */
export type RecordStore = Store & Required<Pick<Store, 'get' | 'add' | 'set'>>;

/** Idempotency records over the engine's store. One per engine, built at start-up. */
export class IdempotencyRecords {
  constructor(
    private readonly store: RecordStore,
    private readonly config: ResolvedIdempotency,
    private readonly logger: Logger,
  ) {}

  /** The store key of one key under one challenge. */
  keyOf(realm: string, challengeId: string, idempotencyKey: string): string {
    return `idem:${realm}:${challengeId}:${sha256Base64url(idempotencyKey)}`;
  }

  /** What identifies the request a key was first used with: its request hash and its credential. */
  fingerprint(requestHash: string, credentialHeader: string): string {
    return sha256Base64url(`${requestHash}\n${credentialHeader.trim()}`);
  }

  /**
   * For a credential whose challenge has expired: the stored answer to this very request, if one
   * exists; undefined otherwise (the caller then reports the expiry, as for any expired challenge).
   */
  async afterExpiry(storeKey: string, fp: string): Promise<RespondDecision | undefined> {
    const found = await this.read(storeKey);
    return found === undefined || found.fp !== fp ? undefined : this.answer(found, fp);
  }

  /**
   * Claims the key for this request (resolving the claim, to be settled with the response), or
   * answers from the existing record: a replay, or a 409 / 422 thrown as an MppError.
   * `leaseMs` bounds a `pending` claim whose process died before settling it.
   */
  async begin(storeKey: string, fp: string, leaseMs: number): Promise<RespondDecision | IdempotencyClaim> {
    const pending: IdemRecord = { s: 'pending', fp };
    if (await this.store.add(storeKey, JSON.stringify(pending), Math.min(leaseMs, this.config.ttlMs))) {
      return new IdempotencyClaim(this.store, storeKey, fp, this.config, this.logger);
    }
    const found = await this.read(storeKey);
    // Gone between the two calls (settled as non-2xx, or expired): this request lost a race anyway.
    if (found === undefined)
      throw new MppError('idempotency-conflict', 'A request with this Idempotency-Key is in progress', {
        retryAfter: 1,
      });
    return this.answer(found, fp);
  }

  private async read(storeKey: string): Promise<IdemRecord | undefined> {
    const text = await this.store.get(storeKey);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as IdemRecord;
    } catch {
      return undefined;
    }
  }

  private answer(found: IdemRecord, fp: string): RespondDecision {
    if (found.fp !== fp) {
      throw new MppError(
        'idempotency-mismatch',
        'This Idempotency-Key was used with another request or credential',
      );
    }
    if (found.s === 'pending') {
      throw new MppError('idempotency-conflict', 'A request with this Idempotency-Key is in progress', {
        retryAfter: 1,
      });
    }
    if (found.s === 'gone') {
      throw new MppError(
        'idempotency-unavailable',
        `The request was processed (status ${found.status}) but its response cannot be repeated (${found.why})`,
        { extensions: { originalStatus: found.status } },
      );
    }
    const headers: HeaderEntry[] = [];
    let cacheControl: string | undefined;
    for (const entry of found.headers) {
      if (entry[0] === 'cache-control') cacheControl = entry[1];
      else headers.push(entry);
    }
    // A stored receipt must never reach a shared cache, whatever the stored headers said.
    headers.push(['cache-control', withPrivate(cacheControl)], [IDEMPOTENT_REPLAYED, 'true']);
    this.logger.debug({ status: found.status }, 'idempotent replay');
    return { kind: 'respond', status: found.status, headers, body: base64url.decode(found.body) };
  }
}

/**
 * One request's claim on an Idempotency-Key. The gate settles it: `abandon` when verification
 * fails, `finalized` with the handler's status; the adapter's response layer reports the response
 * through the {@link ResponseRecorder} side. Store failures after the claim are logged, never
 * thrown: the response is already on its way, and the worst case is a repeat that runs into the
 * payment's own replay guard.
 */
export class IdempotencyClaim implements ResponseRecorder {
  private state: 'open' | 'awaiting' | 'closed' = 'open';
  private status = 200;
  readonly maxBodyBytes: number;

  constructor(
    private readonly store: RecordStore,
    private readonly key: string,
    private readonly fp: string,
    private readonly config: ResolvedIdempotency,
    private readonly logger: Logger,
  ) {
    this.maxBodyBytes = config.maxBodyBytes;
  }

  /** Verification failed (or the payment is pending): free the key so a retry runs normally. */
  abandon(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.write(this.store.release(this.key));
  }

  /**
   * The handler's status is known, and whether its payment is kept (a 2xx, or any answer on a
   * `settlement: 'always'` route). A released payment frees the key too, so a retry runs again;
   * a kept one waits for the response to record.
   */
  finalized(status: number, kept: boolean): void {
    if (this.state !== 'open') return;
    this.status = status;
    if (kept) this.state = 'awaiting';
    else this.abandon();
  }

  complete(status: number, headers: readonly HeaderEntry[], body: Uint8Array): void {
    if (this.state === 'closed') return;
    // Unsettled (an adapter that reports without finalizing): only a 2xx is taken as kept.
    if (this.state === 'open' && (status < 200 || status >= 300)) {
      this.abandon();
      return;
    }
    if (body.byteLength > this.maxBodyBytes) {
      this.fail('too-large');
      return;
    }
    this.state = 'closed';
    const done: IdemRecord = { s: 'done', fp: this.fp, status, headers, body: base64url.encode(body) };
    this.write(this.store.set(this.key, JSON.stringify(done), this.config.ttlMs));
  }

  fail(reason: 'too-large' | 'aborted'): void {
    // Before the payment was settled as kept nothing was committed: the key is simply freed.
    if (this.state !== 'awaiting') {
      this.abandon();
      return;
    }
    this.state = 'closed';
    const gone: IdemRecord = {
      s: 'gone',
      fp: this.fp,
      status: this.status,
      why: reason === 'too-large' ? `body over ${this.maxBodyBytes} bytes` : 'the response was cut short',
    };
    this.write(this.store.set(this.key, JSON.stringify(gone), this.config.ttlMs));
  }

  private write(op: Promise<unknown>): void {
    op.catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'idempotency record not saved');
    });
  }
}

/**
 * Reports a Fetch response to a recorder: its body is read from a clone (at most `maxBodyBytes`,
 * then given up) while the original streams to the client untouched.
 */
export function recordFetchResponse(response: Response, recorder: ResponseRecorder): void {
  const headers = replayableHeaders(response.headers);
  if (response.body === null) {
    recorder.complete(response.status, headers, new Uint8Array(0));
    return;
  }
  readStreamBounded(response.clone().body!, recorder.maxBodyBytes).then(
    (body) =>
      body === undefined ? recorder.fail('too-large') : recorder.complete(response.status, headers, body),
    () => recorder.fail('aborted'),
  );
}

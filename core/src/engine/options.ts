import { type DiscoveryOptions, type ResolvedDiscovery, resolveDiscovery } from '../discovery/options.js';
import { MppConfigError } from '../protocol/errors.js';
import { hmacSha256 } from '../protocol/hash.js';
import type { IdempotencyOptions, ResolvedIdempotency } from './idempotency.js';
import { type Logger, silentLogger } from './logger.js';
import type { PaymentMethod } from './method.js';
import { type RateLimitOptions, type ResolvedRateLimit, remoteAddressKey } from './rate-limit.js';
import { MemoryStore, type Store } from './store.js';

/** Options of the payment engine (shared by createMpp and every adapter). */
export interface EngineOptions {
  /**
   * HMAC secret binding challenge ids (≥ 32 bytes). Give a list to rotate: the first signs, all
   * verify. Default `MPP_SECRET_KEY` (comma-separated list), else derived from the HitPay API key.
   */
  secretKey?: string | readonly string[];
  /** Protection space sent as `realm`. Default `MPP_REALM`, else the request's host. */
  realm?: string;
  /** Challenge lifetime in seconds (default 900: long enough for a person to pay by QR). */
  expiresIn?: number;
  /** Payment methods, in the order challenges are offered. */
  methods: readonly PaymentMethod[];
  /** Replay store (default in-memory; use `RedisStore` for several instances). */
  store?: Store;
  /** Clock, epoch ms (tests inject one). */
  clock?: () => number;
  /**
   * Source of the per-challenge nonce in `opaque` (8–64 base64url characters). Default: unique per
   * process (a random prefix and a counter). Inject one only for vectors and deterministic tests.
   */
  challengeNonce?: () => string;
  /**
   * Problem type for an expired challenge: `'01'` (default) answers `payment-expired`, `'00'`
   * answers `invalid-challenge` as draft -00 did.
   */
  version?: '00' | '01';
  /** -01: ask clients to send the credential in `Payment-Authorization` (keeps `Authorization` free). */
  paymentAuthorizationHeader?: boolean;
  /**
   * Never send challenges over plain HTTP (RFC R19). `'auto'` (default) requires TLS unless the host
   * is loopback or NODE_ENV is not "production".
   */
  requireTls?: boolean | 'auto';
  /**
   * Read scheme and host from X-Forwarded-Proto / X-Forwarded-Host, and the client address (rate
   * limits) from the last X-Forwarded-For entry, the one your proxy appended (behind a proxy you trust).
   */
  trustProxy?: boolean;
  /** Largest request body hashed for the digest binding (default 1 MiB); larger → 413. */
  maxBodyBytes?: number;
  /** Path prefix of the embedded broker's routes (default `/mpp`). */
  prefix?: string;
  /** Structured logger (default silent). */
  logger?: Logger;
  /**
   * Idempotency-Key replays of paid requests (RFC R47; see {@link IdempotencyOptions}). Default on:
   * it acts only when a client sends `Idempotency-Key` on POST/PUT/PATCH/DELETE with a credential,
   * and then turns a retry the replay guard would refuse (a 402 inviting a second payment) into the
   * original answer. Needs a store with `get`/`add`/`set` (MemoryStore and RedisStore have them);
   * with a store of your own that lacks them the default turns it off with a warning, and `true`
   * or an object fails at start-up.
   */
  idempotency?: boolean | IdempotencyOptions;
  /**
   * Rate limit of payment decisions per client (RFC R52; see {@link RateLimitOptions}). Default off:
   * behind a proxy without `trustProxy` every client shares the proxy's address, so a default limit
   * would throttle all of them together. Needs a store with `increment` (MemoryStore, RedisStore).
   */
  rateLimit?: false | RateLimitOptions;
  /**
   * Payment discovery (draft-payment-discovery-00): serve an OpenAPI 3.1 document of the priced
   * routes at `GET /openapi.json`, with `x-payment-info` on each (see {@link DiscoveryOptions}).
   * Default off: the title and version are the app's to name, and `/openapi.json` may be the app's own.
   */
  discovery?: false | DiscoveryOptions;
}

/** Options after validation and defaults: frozen, resolved once at start-up. */
export interface ResolvedEngineOptions {
  readonly secrets: readonly Uint8Array[];
  readonly realm: string | undefined;
  readonly expiresInMs: number;
  readonly methods: readonly PaymentMethod[];
  readonly store: Store;
  readonly clock: () => number;
  readonly challengeNonce: (() => string) | undefined;
  readonly version: '00' | '01';
  readonly paymentAuthorizationHeader: boolean;
  readonly requireTls: boolean | 'auto';
  readonly trustProxy: boolean;
  readonly maxBodyBytes: number;
  readonly prefix: string;
  readonly logger: Logger;
  /** Undefined when off. */
  readonly idempotency: ResolvedIdempotency | undefined;
  /** Undefined when off. */
  readonly rateLimit: ResolvedRateLimit | undefined;
  /** Undefined when off. */
  readonly discovery: ResolvedDiscovery | undefined;
}

const encoder = new TextEncoder();

/** Derives a challenge secret from the HitPay API key, so `createMpp({ apiKey })` needs nothing else. */
export function deriveSecret(apiKey: string): string {
  return Buffer.from(hmacSha256(apiKey, 'hit-pay/mpp challenge-id secret v1')).toString('base64url');
}

/**
 * Validates and freezes engine options. Throws MppConfigError naming the option and the package,
 * so misconfiguration fails at start-up, never on the first request.
 */
export function resolveEngineOptions(
  input: EngineOptions,
  pkg = '@hit-pay/mpp',
  fallbackSecret?: string,
): ResolvedEngineOptions {
  const env = process.env;
  const rawSecrets =
    input.secretKey ??
    (env.MPP_SECRET_KEY ? env.MPP_SECRET_KEY.split(',').map((s) => s.trim()) : undefined) ??
    fallbackSecret;
  if (rawSecrets === undefined) {
    throw new MppConfigError(
      pkg,
      'secretKey',
      'is required (set MPP_SECRET_KEY, or give a HitPay apiKey to derive it)',
    );
  }
  const list = typeof rawSecrets === 'string' ? [rawSecrets] : [...rawSecrets];
  if (list.length === 0) throw new MppConfigError(pkg, 'secretKey', 'must not be an empty list');
  const secrets = list.map((s, i) => {
    if (typeof s !== 'string' || encoder.encode(s).length < 32) {
      throw new MppConfigError(
        pkg,
        i === 0 ? 'secretKey' : `secretKey[${i}]`,
        'must be a string of at least 32 bytes',
      );
    }
    return encoder.encode(s);
  });
  const expiresIn = input.expiresIn ?? 900;
  if (!Number.isFinite(expiresIn) || expiresIn < 10 || expiresIn > 86_400) {
    throw new MppConfigError(pkg, 'expiresIn', 'must be between 10 and 86400 seconds');
  }
  if (!Array.isArray(input.methods) || input.methods.length === 0) {
    throw new MppConfigError(pkg, 'methods', 'must list at least one payment method');
  }
  const names = new Set<string>();
  for (const m of input.methods) {
    // The core drafts write method ids as 1*LOWERALPHA; HitPay's deployed `hitpay-save` has a hyphen,
    // which mppx and other parsers accept, so lower-case letters, digits and "-" are allowed.
    const validName = /^[a-z][a-z0-9-]*$/.test(m?.name ?? '');
    if (!m || typeof m.compile !== 'function' || !validName || !/^[A-Za-z0-9-]+$/.test(m.intent ?? '')) {
      throw new MppConfigError(
        pkg,
        'methods',
        'holds an invalid payment method (name: a-z, 0-9, "-"; intent: a token)',
      );
    }
    const key = `${m.name}/${m.intent}`;
    if (names.has(key)) throw new MppConfigError(pkg, 'methods', `lists ${key} twice`);
    names.add(key);
  }
  const realm = input.realm ?? env.MPP_REALM;
  if (realm !== undefined && (typeof realm !== 'string' || realm === '' || /[|\r\n"\\]/.test(realm))) {
    throw new MppConfigError(
      pkg,
      'realm',
      'must be a non-empty string without |, quotes, backslashes or line breaks',
    );
  }
  const maxBodyBytes = input.maxBodyBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new MppConfigError(pkg, 'maxBodyBytes', 'must be a non-negative integer');
  const prefix = input.prefix ?? '/mpp';
  if (!/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) {
    throw new MppConfigError(pkg, 'prefix', 'must be a path like "/mpp"');
  }
  if (input.version !== undefined && input.version !== '00' && input.version !== '01') {
    throw new MppConfigError(pkg, 'version', 'must be "00" or "01"');
  }
  if (input.clock !== undefined && typeof input.clock !== 'function')
    throw new MppConfigError(pkg, 'clock', 'must be a function');
  const store = input.store ?? new MemoryStore({ now: input.clock });
  const logger = input.logger ?? silentLogger;
  return Object.freeze({
    secrets: Object.freeze(secrets),
    realm,
    expiresInMs: expiresIn * 1000,
    methods: Object.freeze([...input.methods]),
    store,
    clock: input.clock ?? Date.now,
    challengeNonce: input.challengeNonce,
    version: input.version ?? '01',
    paymentAuthorizationHeader: input.paymentAuthorizationHeader ?? false,
    requireTls: input.requireTls ?? 'auto',
    trustProxy: input.trustProxy ?? false,
    maxBodyBytes,
    prefix,
    logger,
    idempotency: resolveIdempotency(input.idempotency, store, logger, pkg),
    rateLimit: resolveRateLimit(input.rateLimit, store, pkg),
    discovery: resolveDiscovery(input.discovery, pkg),
  });
}

function resolveIdempotency(
  input: EngineOptions['idempotency'],
  store: Store,
  logger: Logger,
  pkg: string,
): ResolvedIdempotency | undefined {
  if (input === false) return undefined;
  if (input !== undefined && input !== true && (typeof input !== 'object' || input === null)) {
    throw new MppConfigError(pkg, 'idempotency', 'must be a boolean or { ttlSeconds?, maxBodyBytes? }');
  }
  if (typeof store.get !== 'function' || typeof store.add !== 'function' || typeof store.set !== 'function') {
    const why = 'needs a store with get(), add() and set() (MemoryStore and RedisStore have them)';
    if (input !== undefined) throw new MppConfigError(pkg, 'idempotency', why);
    // On by default, so a store written before the feature must not stop the app from starting.
    logger.warn(
      { option: 'idempotency' },
      'Idempotency-Key replays are off: the store has no get(), add() and set()',
    );
    return undefined;
  }
  const o = typeof input === 'object' ? input : {};
  const ttlSeconds = o.ttlSeconds ?? 86_400;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 7 * 86_400)
    throw new MppConfigError(pkg, 'idempotency.ttlSeconds', 'must be between 1 and 604800 seconds');
  const maxBodyBytes = o.maxBodyBytes ?? 256 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > 64 * 1024 * 1024)
    throw new MppConfigError(pkg, 'idempotency.maxBodyBytes', 'must be an integer from 0 to 64 MiB');
  return Object.freeze({ ttlMs: ttlSeconds * 1000, maxBodyBytes });
}

function resolveRateLimit(
  input: EngineOptions['rateLimit'],
  store: Store,
  pkg: string,
): ResolvedRateLimit | undefined {
  if (input === undefined || input === false) return undefined;
  if (typeof input !== 'object' || input === null)
    throw new MppConfigError(pkg, 'rateLimit', 'must be false or { max, windowSeconds, key? }');
  if (!Number.isInteger(input.max) || input.max < 1)
    throw new MppConfigError(pkg, 'rateLimit.max', 'must be a positive integer');
  if (!Number.isFinite(input.windowSeconds) || input.windowSeconds < 1 || input.windowSeconds > 86_400)
    throw new MppConfigError(pkg, 'rateLimit.windowSeconds', 'must be between 1 and 86400 seconds');
  if (input.key !== undefined && typeof input.key !== 'function')
    throw new MppConfigError(pkg, 'rateLimit.key', 'must be a function of the request');
  if (typeof store.increment !== 'function')
    throw new MppConfigError(
      pkg,
      'rateLimit',
      'needs a store with increment() (MemoryStore and RedisStore have it)',
    );
  return Object.freeze({
    max: input.max,
    windowMs: input.windowSeconds * 1000,
    key: input.key ?? remoteAddressKey,
  });
}

import type { Logger } from '@hit-pay/mpp';
import { MppConfigError } from '@hit-pay/mpp/protocol';
import { HITPAY_PRODUCTION_URL, HITPAY_SANDBOX_URL } from './hitpay/index.js';

const PKG = '@hit-pay/mpp-broker';

/** A fixed-window limit: at most `limit` events per `windowMs`. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** Limits on what opening links costs (HitPay payment requests and save sessions). */
export interface RateLimitOptions {
  /** Payment requests created per client address (default 20 per minute). `false` turns it off. */
  checkoutPerAddress?: RateLimit | false;
  /** Payment requests created per merchant, whatever the address (default 600 per minute). */
  checkoutPerMerchant?: RateLimit | false;
  /** Save sessions started per client address (default 10 per minute). */
  setupPerAddress?: RateLimit | false;
  /** Save sessions started per merchant, whatever the address (default 300 per minute). */
  setupPerMerchant?: RateLimit | false;
  /** Attempts at creating the payment request of one challenge (default 5). */
  createAttemptsPerChallenge?: number;
}

/** Options of {@link createBroker}. Each falls back to its environment variable where one is named. */
export interface BrokerOptions {
  /**
   * Storage (`DATABASE_URL`): a `postgres://` URL, `memory://` (tests), or a PGlite folder.
   * Default `.mpp/broker`.
   */
  database?: string;
  /** PostgreSQL schema (created if missing). Default `public`. */
  schema?: string;
  /** Seals API keys, salts and private keys at rest; at least 32 bytes (`MPP_SECRET_KEY`). Required. */
  secretKey?: string;
  /** A private Ed25519 JWK in JSON to sign with instead of a generated key (`MPP_SIGNING_KEY`). */
  signingKey?: string;
  /**
   * The broker's public URL (`MPP_PUBLIC_URL`): the `iss` of its receipts and grants. Without it
   * the issuer is a stable `urn:hit-pay:mpp-broker:<id>` kept in the database.
   */
  publicUrl?: string;
  /** Structured logger (pino and console-like objects fit). Default silent. */
  logger?: Logger;
  /**
   * Serve the endpoints API instances call (`/v1/merchants/self`, verify, commit, release, saved
   * charges, refunds). Default false: an embedded broker is called in-process, so its API exposes
   * only the public routes. `startBroker` turns them on.
   */
  serverEndpoints?: boolean;
  /**
   * HitPay API base URLs a merchant may register over HTTP (the broker calls them with the
   * merchant's key). Default HitPay's live and sandbox hosts. In-process registration is trusted.
   */
  hitpayBaseUrls?: readonly string[];
  /** HitPay client settings (defaults: 15 s timeout, 2 retries of safe calls, 250 ms backoff). */
  hitpay?: { timeoutMs?: number; retries?: number; retryBaseDelayMs?: number; fetch?: typeof fetch };
  /** How often the reconciler runs (default 60 000 ms; 0 turns the timer off). */
  reconcileIntervalMs?: number;
  /** Least time between two HitPay status checks of one charge or setup when polled (default 5 000 ms). */
  pollIntervalMs?: number;
  /** Lifetime of a saved-method grant (default 30 days). */
  grantLifetimeMs?: number;
  /** Most charges under one grant (`maxUses`); default unlimited (the caps still apply). */
  grantMaxUses?: number;
  /** How long a save session waits for approval (default 30 minutes). */
  setupLifetimeMs?: number;
  /**
   * Grace after a challenge's expiry (default 5 minutes): a paid charge can still be redeemed by a
   * server whose clock lags, and the reconciler refunds it only after the grace.
   */
  expiryGraceMs?: number;
  /** A saved charge reserved longer than this crashed mid-call and is reconciled (default 2 minutes). */
  reservationTimeoutMs?: number;
  rateLimits?: RateLimitOptions;
  /** Largest request body accepted (default 64 KiB; webhooks 256 KiB). */
  maxBodyBytes?: number;
  /** Clock in epoch ms (tests move it). Default `Date.now`. */
  now?: () => number;
}

/** Options after defaults and validation. */
export interface ResolvedBrokerOptions {
  readonly database: string;
  readonly schema: string | undefined;
  readonly secretKey: string;
  readonly signingKey: string | undefined;
  readonly publicUrl: string | undefined;
  readonly logger: Logger;
  readonly serverEndpoints: boolean;
  readonly hitpayBaseUrls: readonly string[];
  readonly hitpay: NonNullable<BrokerOptions['hitpay']>;
  readonly reconcileIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly grantLifetimeMs: number;
  readonly grantMaxUses: number | undefined;
  readonly setupLifetimeMs: number;
  readonly expiryGraceMs: number;
  readonly reservationTimeoutMs: number;
  readonly rateLimits: {
    readonly checkoutPerAddress: RateLimit | false;
    readonly checkoutPerMerchant: RateLimit | false;
    readonly setupPerAddress: RateLimit | false;
    readonly setupPerMerchant: RateLimit | false;
    readonly createAttemptsPerChallenge: number;
  };
  readonly maxBodyBytes: number;
  readonly now: () => number;
}

const noop = (): void => {};
const silent: Logger = { debug: noop, info: noop, warn: noop, error: noop };
const env = (name: string): string | undefined => process.env[name] || undefined;

function duration(name: string, value: number | undefined, def: number, min = 0): number {
  const v = value ?? def;
  if (!Number.isFinite(v) || v < min) throw new MppConfigError(PKG, name, `must be a number ≥ ${min} (ms)`);
  return v;
}

function limit(name: string, value: RateLimit | false | undefined, def: RateLimit): RateLimit | false {
  if (value === false) return false;
  const v = value ?? def;
  if (!Number.isInteger(v.limit) || v.limit < 1 || !Number.isFinite(v.windowMs) || v.windowMs < 1) {
    throw new MppConfigError(PKG, `rateLimits.${name}`, 'must be { limit ≥ 1, windowMs ≥ 1 } or false');
  }
  return { limit: v.limit, windowMs: v.windowMs };
}

/** Normalizes a base URL (no trailing slash); throws MppConfigError naming `option` when invalid. */
export function baseUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MppConfigError(PKG, option, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MppConfigError(PKG, option, 'must be an absolute http(s) URL');
  return value.replace(/\/+$/, '');
}

/** Applies defaults and environment fallbacks; throws MppConfigError on a bad option, at start-up. */
export function resolveBrokerOptions(o: BrokerOptions = {}): ResolvedBrokerOptions {
  const secretKey = o.secretKey ?? env('MPP_SECRET_KEY');
  if (!secretKey) throw new MppConfigError(PKG, 'secretKey', 'is required (set MPP_SECRET_KEY)');
  const publicUrl = o.publicUrl ?? env('MPP_PUBLIC_URL');
  const maxUses = o.grantMaxUses;
  if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1))
    throw new MppConfigError(PKG, 'grantMaxUses', 'must be a positive integer');
  const attempts = o.rateLimits?.createAttemptsPerChallenge ?? 5;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new MppConfigError(PKG, 'rateLimits.createAttemptsPerChallenge', 'must be a positive integer');
  const minute = 60_000;
  return Object.freeze({
    database: o.database ?? env('DATABASE_URL') ?? '.mpp/broker',
    schema: o.schema,
    secretKey,
    signingKey: o.signingKey ?? env('MPP_SIGNING_KEY'),
    publicUrl: publicUrl === undefined ? undefined : baseUrl('publicUrl', publicUrl),
    logger: o.logger ?? silent,
    serverEndpoints: o.serverEndpoints ?? false,
    hitpayBaseUrls: (o.hitpayBaseUrls ?? [HITPAY_PRODUCTION_URL, HITPAY_SANDBOX_URL]).map((u) =>
      baseUrl('hitpayBaseUrls', u),
    ),
    hitpay: { ...o.hitpay },
    reconcileIntervalMs: duration('reconcileIntervalMs', o.reconcileIntervalMs, minute),
    pollIntervalMs: duration('pollIntervalMs', o.pollIntervalMs, 5000),
    grantLifetimeMs: duration('grantLifetimeMs', o.grantLifetimeMs, 30 * 86_400_000, 1000),
    grantMaxUses: maxUses,
    setupLifetimeMs: duration('setupLifetimeMs', o.setupLifetimeMs, 30 * minute, 1000),
    expiryGraceMs: duration('expiryGraceMs', o.expiryGraceMs, 5 * minute),
    reservationTimeoutMs: duration('reservationTimeoutMs', o.reservationTimeoutMs, 2 * minute, 1000),
    rateLimits: Object.freeze({
      checkoutPerAddress: limit('checkoutPerAddress', o.rateLimits?.checkoutPerAddress, {
        limit: 20,
        windowMs: minute,
      }),
      checkoutPerMerchant: limit('checkoutPerMerchant', o.rateLimits?.checkoutPerMerchant, {
        limit: 600,
        windowMs: minute,
      }),
      setupPerAddress: limit('setupPerAddress', o.rateLimits?.setupPerAddress, {
        limit: 10,
        windowMs: minute,
      }),
      setupPerMerchant: limit('setupPerMerchant', o.rateLimits?.setupPerMerchant, {
        limit: 300,
        windowMs: minute,
      }),
      createAttemptsPerChallenge: attempts,
    }),
    maxBodyBytes: duration('maxBodyBytes', o.maxBodyBytes, 64 * 1024, 1024),
    now: o.now ?? Date.now,
  });
}

/**
 * `startSandbox` options and their defaults. Every behaviour the research could not pin down (the
 * 401 body, the recurring status before attach, flat or wrapped `payment_request.*` events, how an
 * insufficient-funds decline is answered) is an option here, defaulting to the best-supported guess.
 */
import { createHmac } from 'node:crypto';
import { SandboxConfigError } from './errors.js';
import type { InsufficientFundsMode } from './faults.js';

/** A business (merchant account) configured up front. */
export interface SandboxBusiness {
  /** API key; must start with `test_`, like HitPay sandbox keys. */
  apiKey: string;
  /** API-key salt (signs v1 webhooks). Default: derived from the key (see {@link deriveSalt}). */
  salt?: string;
  /** Slug in checkout URLs (`/payment-request/@<slug>/…`). Default: derived from the key. */
  slug?: string;
  /** Business name on pages and in QR payloads. Default: "Sandbox Business". */
  name?: string;
}

/** Options of {@link startSandbox}. All optional. */
export interface SandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Base URL put in `url`/`direct_link` fields. Default `http://<host>:<port>` once listening. */
  publicUrl?: string;
  /** Businesses known from the start. */
  businesses?: SandboxBusiness[];
  /** Accept any unknown `test_` key, creating its business on first use. Default true. */
  autoCreateBusinesses?: boolean;
  /** Body of the 401 for a missing or unknown key (HitPay does not document it). Default `{message:"Unauthenticated."}`. */
  unauthenticatedBody?: Record<string, unknown>;
  /** JSON file to load the state from at start and save it to after changes and on close. */
  stateFile?: string;
  /** Largest accepted request body in bytes; bigger is a 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Delays before webhook retries (ms); attempts = length + 1. Default 2 s, 10 s, 1 min, 5 min. */
  webhookRetryDelaysMs?: number[];
  /** Timeout of one webhook attempt. Default 10 000 ms. */
  webhookTimeoutMs?: number;
  /** Webhook deliveries kept in the log. Default 1000. */
  webhookLogSize?: number;
  /** Recurring-billing status before the customer approves (undocumented at HitPay). Default `pending`. */
  recurringInitialStatus?: 'pending' | 'inactive';
  /** `payment_request.*` v2 body: the flat object (default) or `{event, payment_request:{…}}`. */
  paymentRequestEventShape?: 'flat' | 'wrapped';
  /** Answer of an `insufficient-funds` charge: 200 `status:"failed"` (default), or a 422/400 error. */
  insufficientFundsMode?: InsufficientFundsMode;
  /** Longest a `hang` fault holds a request before giving up with 504. Default 5 minutes. */
  hangMs?: number;
  /** Reject v2 endpoint URLs that are not https (real HitPay does). Default false. */
  requireHttpsWebhooks?: boolean;
  /** Clock (epoch ms). Default `Date.now`; the sandbox adds its own offset (`advanceTime`). */
  now?: () => number;
  /** v2 webhook endpoints registered at start (skipped when one with the same URL already exists). */
  webhookEndpoints?: SandboxWebhookEndpoint[];
  /** Called with unexpected errors (answered as 500) and state-file write failures. Default: ignore. */
  onError?: (error: unknown) => void;
}

/** A v2 webhook endpoint registered at start. */
export interface SandboxWebhookEndpoint {
  /** API key of the business it belongs to. */
  apiKey: string;
  url: string;
  /** Event types; default every event the sandbox emits. */
  eventTypes?: string[];
  name?: string;
  /** Its signing salt. Default: random. */
  salt?: string;
}

/** Options with defaults applied. */
export interface ResolvedSandboxOptions {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string | undefined;
  readonly businesses: readonly Required<SandboxBusiness>[];
  readonly autoCreateBusinesses: boolean;
  readonly unauthenticatedBody: Readonly<Record<string, unknown>>;
  readonly stateFile: string | undefined;
  readonly maxBodyBytes: number;
  readonly webhookRetryDelaysMs: readonly number[];
  readonly webhookTimeoutMs: number;
  readonly webhookLogSize: number;
  readonly recurringInitialStatus: 'pending' | 'inactive';
  readonly paymentRequestEventShape: 'flat' | 'wrapped';
  readonly insufficientFundsMode: InsufficientFundsMode;
  readonly hangMs: number;
  readonly requireHttpsWebhooks: boolean;
  readonly now: () => number;
  readonly webhookEndpoints: readonly SandboxWebhookEndpoint[];
  readonly onError: (error: unknown) => void;
}

/**
 * The salt the sandbox gives a business when none is configured: the first 32 hex characters of
 * HMAC-SHA256("hitpay-mpp-sandbox", apiKey). Deterministic, so a restarted sandbox signs alike.
 */
export function deriveSalt(apiKey: string): string {
  return createHmac('sha256', 'hitpay-mpp-sandbox').update(apiKey).digest('hex').slice(0, 32);
}

/** A URL-safe slug derived from the key (`test_abc…` → `sandbox-<8 hex>`). */
export function deriveSlug(apiKey: string): string {
  return `sandbox-${createHmac('sha256', 'hitpay-mpp-sandbox-slug').update(apiKey).digest('hex').slice(0, 8)}`;
}

const int = (name: string, v: number | undefined, def: number, min: number, max: number): number => {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SandboxConfigError(`option "${name}" must be an integer between ${min} and ${max}`);
  }
  return n;
};

/** Applies defaults and validates; throws SandboxConfigError at start-up, never later. */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  const businesses = (options.businesses ?? []).map((b) => {
    if (typeof b.apiKey !== 'string' || !b.apiKey.startsWith('test_')) {
      throw new SandboxConfigError('every business apiKey must start with "test_"');
    }
    const slug = b.slug ?? deriveSlug(b.apiKey);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
      throw new SandboxConfigError(`business slug "${slug}" must be lowercase letters, digits and dashes`);
    }
    return {
      apiKey: b.apiKey,
      salt: b.salt ?? deriveSalt(b.apiKey),
      slug,
      name: b.name ?? 'Sandbox Business',
    };
  });
  const retry = options.webhookRetryDelaysMs ?? [2_000, 10_000, 60_000, 300_000];
  if (!Array.isArray(retry) || retry.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new SandboxConfigError('option "webhookRetryDelaysMs" must be an array of non-negative integers');
  }
  return Object.freeze({
    port: int('port', options.port, 0, 0, 65535),
    host: options.host ?? '127.0.0.1',
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    businesses,
    autoCreateBusinesses: options.autoCreateBusinesses ?? true,
    unauthenticatedBody: options.unauthenticatedBody ?? { message: 'Unauthenticated.' },
    stateFile: options.stateFile,
    maxBodyBytes: int('maxBodyBytes', options.maxBodyBytes, 1024 * 1024, 1024, 100 * 1024 * 1024),
    webhookRetryDelaysMs: [...retry],
    webhookTimeoutMs: int('webhookTimeoutMs', options.webhookTimeoutMs, 10_000, 1, 600_000),
    webhookLogSize: int('webhookLogSize', options.webhookLogSize, 1000, 1, 1_000_000),
    recurringInitialStatus: options.recurringInitialStatus ?? 'pending',
    paymentRequestEventShape: options.paymentRequestEventShape ?? 'flat',
    insufficientFundsMode: options.insufficientFundsMode ?? 'failed',
    hangMs: int('hangMs', options.hangMs, 300_000, 1, 3_600_000),
    requireHttpsWebhooks: options.requireHttpsWebhooks ?? false,
    now: options.now ?? Date.now,
    webhookEndpoints: options.webhookEndpoints ?? [],
    onError: options.onError ?? (() => {}),
  });
}

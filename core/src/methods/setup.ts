import { MppEngine } from '../engine/engine.js';
import { fromWebResponse, toWebRequest } from '../engine/fetch-bridge.js';
import type { PaymentMethod } from '../engine/method.js';
import { deriveSecret, type EngineOptions, resolveEngineOptions } from '../engine/options.js';
import { MppConfigError, MppError } from '../protocol/errors.js';
import type { Broker } from './broker-api.js';
import { grantKeys } from './grant-keys.js';
import { hitpayMethod } from './hitpay.js';
import { hitpaySaveMethod } from './hitpay-save.js';
import { merchantIdFor } from './merchant.js';
import { remoteBroker } from './remote-broker.js';

/** HitPay options of createMpp and every adapter. Each falls back to its environment variable. */
export interface HitPayOptions {
  /** HitPay API key (`HITPAY_API_KEY`); `test_…` keys are sandbox keys. */
  apiKey?: string;
  /** Salt of the HitPay v2 webhook endpoint you registered (`HITPAY_WEBHOOK_SALT`). */
  webhookSalt?: string;
  /** Your API key's salt, for v1 payment-request webhooks (`HITPAY_API_SALT`). Optional. */
  apiSalt?: string;
  /** A standalone broker's URL (`MPP_BROKER_URL`). Without it the broker runs embedded. */
  endpoint?: string;
  /** HitPay API base (`HITPAY_BASE_URL`); default sandbox for `test_` keys, live otherwise. */
  hitpayBaseUrl?: string;
  /** Embedded broker storage (`DATABASE_URL`): a postgres:// URL, `memory://`, or a PGlite folder (default `.mpp/broker`). */
  database?: string;
  /** Public origin of this API (`MPP_PUBLIC_URL`), when it differs from the request's Host. */
  publicUrl?: string;
  /** An already created broker to use (tests, several apps in one process). */
  broker?: Broker;
  /**
   * Extra options of the embedded broker (`@hit-pay/mpp-broker`'s BrokerOptions: reconcile
   * interval, rate limits, grant lifetime…). The engine's `logger` is passed on by default.
   */
  brokerOptions?: Record<string, unknown>;
}

/** What the embedded broker module exports (loaded on demand: `@hit-pay/mpp-broker`). */
interface BrokerModule {
  createBroker(options: {
    database?: string;
    secretKey: string;
    publicUrl?: string;
    logger?: unknown;
    [option: string]: unknown;
  }): Promise<Broker & { fetch(request: Request): Promise<Response>; basePath?: string }>;
}

/** The embedded brokers of this process, per database, so several apps share one (PGlite is single-writer). */
const embedded = new Map<string, Promise<Broker & { fetch(request: Request): Promise<Response> }>>();
/** The brokerOptions each shared broker was asked for, so a second app cannot silently get others. */
const embeddedOptions = new Map<string, unknown>();

/** Structural equality of option values; functions and class instances compare by identity. */
function sameOptions(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  const plain = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' &&
    v !== null &&
    (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype);
  if (!plain(a) || !plain(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameOptions(a[k], b[k]));
}

const envOr = (v: string | undefined, name: string): string | undefined =>
  v ?? (process.env[name] || undefined);

/**
 * A standalone broker must know the merchant before any agent opens a checkout, and issuing a 402
 * calls nothing; so an API instance registers at start-up, retrying in the background (1 s,
 * doubling to 60 s) while the broker is unreachable. Timers are unref'd: they never keep a process alive.
 */
function registerInBackground(
  broker: () => Promise<Broker>,
  logger: { warn(f: Record<string, unknown>, m: string): void },
): void {
  let delay = 1000;
  const attempt = (): void => {
    broker().catch((error: unknown) => {
      logger.warn(
        { err: String((error as Error)?.message ?? error), retryInMs: delay },
        'could not register with the payment broker',
      );
      setTimeout(attempt, delay).unref();
      delay = Math.min(delay * 2, 60_000);
    });
  };
  attempt();
}

/**
 * Builds the engine for HitPay: the `hitpay` and `hitpay-save` methods over an embedded broker
 * (mounted under the prefix) or a standalone one. Configuration is checked now, synchronously;
 * the embedded broker opens its database on first use.
 */
export function hitpayEngine(
  options: EngineOptions | (Omit<EngineOptions, 'methods'> & HitPayOptions),
  pkg = '@hit-pay/mpp',
): MppEngine {
  const o = options as Omit<EngineOptions, 'methods'> &
    HitPayOptions & { methods?: readonly PaymentMethod[] };
  if (o.methods) return new MppEngine(o as EngineOptions, pkg);
  const apiKey = envOr(o.apiKey, 'HITPAY_API_KEY');
  if (!apiKey) {
    throw new MppConfigError(pkg, 'apiKey', 'is required (set HITPAY_API_KEY, or pass methods explicitly)');
  }
  const endpoint = envOr(o.endpoint, 'MPP_BROKER_URL');
  const publicUrl = envOr(o.publicUrl, 'MPP_PUBLIC_URL')?.replace(/\/+$/, '');
  const hitpayBaseUrl =
    envOr(o.hitpayBaseUrl, 'HITPAY_BASE_URL') ??
    (apiKey.startsWith('test_') ? 'https://api.sandbox.hit-pay.com' : 'https://api.hit-pay.com');
  for (const [name, url] of [
    ['endpoint', endpoint],
    ['publicUrl', publicUrl],
    ['hitpayBaseUrl', hitpayBaseUrl],
  ] as const) {
    if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url))
      throw new MppConfigError(pkg, name, 'must be an http(s) URL');
  }
  const secretStrings = (() => {
    const s =
      o.secretKey ??
      (process.env.MPP_SECRET_KEY ? process.env.MPP_SECRET_KEY.split(',').map((x) => x.trim()) : undefined);
    return s === undefined ? [deriveSecret(apiKey)] : typeof s === 'string' ? [s] : [...s];
  })();
  const merchantId = merchantIdFor(apiKey);
  const database = envOr(o.database, 'DATABASE_URL') ?? '.mpp/broker';
  if (!o.broker && !endpoint) {
    const open = embeddedOptions.get(database);
    if (open === undefined) embeddedOptions.set(database, o.brokerOptions ?? {});
    else if (!sameOptions(open, o.brokerOptions ?? {})) {
      throw new MppConfigError(
        pkg,
        'brokerOptions',
        'differ from those of the embedded broker another createMpp() already opened on this database in this process; pass the same brokerOptions, or a different database',
      );
    }
  }
  const registration = {
    apiKey,
    webhookSalt: envOr(o.webhookSalt, 'HITPAY_WEBHOOK_SALT'),
    apiSalt: envOr(o.apiSalt, 'HITPAY_API_SALT'),
    challengeSecrets: secretStrings,
    hitpayBaseUrl,
  };

  let ready: Promise<Broker> | undefined;
  let local: (Broker & { fetch(request: Request): Promise<Response> }) | undefined;
  const broker = (): Promise<Broker> => {
    ready ??= (async () => {
      let b: Broker;
      if (o.broker) b = o.broker;
      else if (endpoint) b = remoteBroker({ endpoint, apiKey });
      else {
        let p = embedded.get(database);
        if (!p) {
          p = (import('@hit-pay/mpp-broker' as string) as Promise<BrokerModule>).then((m) =>
            m.createBroker({
              ...(o.logger ? { logger: o.logger } : {}),
              ...o.brokerOptions,
              database,
              secretKey: secretStrings[0]!,
              publicUrl,
            }),
          );
          embedded.set(database, p);
        }
        local = await p;
        b = local;
      }
      await b.registerMerchant(registration);
      return b;
    })().catch((error: unknown) => {
      ready = undefined;
      throw error instanceof MppError
        ? error
        : new MppError('service-unavailable', 'Payment broker failed to start', {
            cause: error,
            retryAfter: 2,
          });
    });
    return ready;
  };

  const prefix = o.prefix ?? '/mpp';
  const brokerUrl = (ctx: { origin: string }) =>
    endpoint?.replace(/\/+$/, '') ?? `${publicUrl ?? ctx.origin}${prefix}`;
  const host = { merchantId, broker, brokerUrl };
  const methods = [hitpayMethod(host), hitpaySaveMethod({ ...host, grantKeys: grantKeys(broker, endpoint) })];
  const engine = new MppEngine(resolveEngineOptions({ ...o, methods }, pkg, secretStrings[0]), pkg);
  if (endpoint && !o.broker) registerInBackground(broker, engine.options.logger);
  if (!endpoint) {
    engine.mount(async (req) => {
      await broker();
      const handler =
        local ?? (o.broker as (Broker & { fetch?: (r: Request) => Promise<Response> }) | undefined);
      if (!handler || typeof handler.fetch !== 'function')
        throw new MppError('not-found', 'No embedded broker');
      return fromWebResponse(await handler.fetch(await toWebRequest(req)));
    });
  }
  return engine;
}

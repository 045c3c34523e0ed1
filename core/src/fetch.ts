import { MppEngine } from './engine/engine.js';
import { readStreamBounded } from './engine/fetch-bridge.js';
import { recordFetchResponse } from './engine/idempotency.js';
import type { EngineOptions } from './engine/options.js';
import type {
  Decision,
  MppRequest,
  Payment,
  RespondDecision,
  RouteInput,
  SavedMethodTerms,
} from './engine/types.js';
import { type HitPayOptions, hitpayEngine } from './methods/setup.js';
import { MppError } from './protocol/errors.js';

/** A Fetch-style handler: `(Request, ctx) => Response`, as in Next.js App Router, Hono, Bun, Deno. */
export type FetchHandler<Ctx = unknown> = (request: Request, ctx: Ctx) => Response | Promise<Response>;

/**
 * The second argument of a Next.js App Router route handler (`{ params }`): the default context of
 * `mpp.protect`, so route files type-check without a type argument. Other frameworks name theirs:
 * `mpp.protect<HonoContext>(…)`.
 */
export interface RouteContext {
  params: Promise<Record<string, string>>;
}

/** The context a protected handler receives: the framework's own context plus the verified payment. */
export type PaidContext<Ctx> = Ctx & { payment: Payment };

export interface FetchRequestOptions {
  trustProxy?: boolean;
  /** Largest body read for the digest (bytes, default 1 MiB); more is `payload-too-large`. */
  maxBodyBytes?: number;
}

/**
 * Reads a request's body from a clone, at most `limit` bytes: a declared or actual size beyond it
 * is `payload-too-large` at once, so an upload of any size never sits whole in memory.
 */
async function readBounded(request: Request, limit: number): Promise<Uint8Array> {
  const body =
    Number(request.headers.get('content-length')) > limit
      ? undefined
      : await readStreamBounded(request.clone().body!, limit);
  if (body === undefined) throw new MppError('payload-too-large', `Request body exceeds ${limit} bytes`);
  return body;
}

/** Wraps a Fetch `Request` as the engine's request. The body is read from a clone, so the handler still can. */
export function fromFetchRequest(request: Request, options: FetchRequestOptions = {}): MppRequest {
  const url = new URL(request.url);
  const h = request.headers;
  const trust = options.trustProxy === true;
  const proto = trust ? h.get('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
  return {
    method: request.method.toUpperCase(),
    target: url.pathname + url.search,
    headers: h,
    header: (name) => h.get(name) ?? undefined,
    // Fetch joins repeated lines with ", "; the gate detects a second credential inside one line.
    headerLines: (name) => {
      const v = h.get(name);
      return v === null ? [] : [v];
    },
    hasBody: request.body !== null,
    body: async () =>
      request.body === null ? undefined : readBounded(request, options.maxBodyBytes ?? 1024 * 1024),
    protocol: (proto ?? url.protocol.replace(':', '')) === 'https' ? 'https' : 'http',
    host: (trust ? h.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined) ?? url.host,
  };
}

/** Turns a `respond` decision into a Fetch `Response`. */
export function toFetchResponse(decision: RespondDecision): Response {
  const headers = new Headers();
  for (const [name, value] of decision.headers) headers.append(name, value);
  return new Response(decision.body as string | Uint8Array<ArrayBuffer>, {
    status: decision.status,
    headers,
  });
}

/**
 * The handler's context plus the payment. A plain object (Next.js `{ params }`) is copied; a class
 * instance (Hono's `c`) keeps its identity behind a proxy, so its methods and private fields work.
 */
function withPayment<Ctx>(ctx: Ctx, payment: Payment): PaidContext<Ctx> {
  if (ctx === null || typeof ctx !== 'object') return { payment } as PaidContext<Ctx>;
  const proto = Object.getPrototypeOf(ctx);
  if (proto === Object.prototype || proto === null)
    return { ...(ctx as object), payment } as PaidContext<Ctx>;
  return new Proxy(ctx as object, {
    get(target, key) {
      if (key === 'payment') return payment;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (target, key) => key === 'payment' || Reflect.has(target, key),
  }) as PaidContext<Ctx>;
}

function withHeaders(response: Response, extra: readonly (readonly [string, string])[]): Response {
  if (extra.length === 0) return response;
  try {
    for (const [name, value] of extra) response.headers.set(name, value);
    return response;
  } catch {
    // Immutable headers (Response.redirect, fetch() results): copy into a new Response.
    const headers = new Headers(response.headers);
    for (const [name, value] of extra) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

/**
 * Options of {@link createMpp}: HitPay's (`apiKey`, `webhookSalt`, `endpoint`, …, each with an
 * environment fallback) and the engine's. Passing `methods` replaces the HitPay methods (tests use
 * the deterministic `test` method).
 */
export type MppOptions = Omit<EngineOptions, 'methods'> &
  HitPayOptions & { methods?: EngineOptions['methods'] };

/** The Fetch API of HitPay MPP. */
export interface Mpp {
  readonly engine: MppEngine;
  /** Protects a Fetch handler with a one-time price (or any route config). */
  protect<Ctx = RouteContext>(price: RouteInput, handler: FetchHandler<PaidContext<Ctx>>): FetchHandler<Ctx>;
  /** Protects a Fetch handler with a saved-method charge (`hitpay-save`). */
  protectSavedMethod<Ctx = RouteContext>(
    terms: SavedMethodTerms,
    handler: FetchHandler<PaidContext<Ctx>>,
  ): FetchHandler<Ctx>;
  /**
   * Serves the embedded broker's routes (webhook, checkout, polling, JWKS) under the prefix.
   * Returns undefined for any other request, so it can sit in front of an app's own routing.
   */
  handle(request: Request): Promise<Response | undefined>;
  /** Subscribes to engine events (`challenge`, `paid`, `refused`, `settled`, `error`). */
  on: MppEngine['on'];
}

/**
 * Creates the Fetch API: `mpp.protect(price, handler)` wraps a `(Request, ctx) => Response`
 * handler with 402 gating. Options are validated now; a bad option throws MppConfigError.
 *
 * @example
 * const mpp = createMpp({ apiKey: process.env.HITPAY_API_KEY!, webhookSalt: process.env.HITPAY_WEBHOOK_SALT })
 * export const GET = mpp.protect({ amount: '1.00', currency: 'sgd', description: 'Forecast' }, async (req, ctx) =>
 *   Response.json({ forecast: 'sunny', paid: ctx.payment.reference }))
 */
export function createMpp(options: MppOptions | MppEngine = {}, internal: { pkg?: string } = {}): Mpp {
  const engine = options instanceof MppEngine ? options : hitpayEngine(options, internal.pkg);
  const requestOptions = {
    trustProxy: engine.options.trustProxy,
    maxBodyBytes: engine.options.maxBodyBytes,
  };
  let counter = 0;

  function protect<Ctx>(
    input: RouteInput,
    handler: FetchHandler<PaidContext<Ctx>>,
    label?: string,
  ): FetchHandler<Ctx> {
    const route = engine.route(input, label ?? `protect#${++counter}`);
    return async function mppProtectedHandler(request: Request, ctx: Ctx): Promise<Response> {
      const decision: Decision = await engine.decide(fromFetchRequest(request, requestOptions), route);
      if (decision.kind === 'respond') return toFetchResponse(decision);
      if (decision.kind === 'next') return handler(request, ctx as PaidContext<Ctx>);
      let response: Response;
      try {
        response = await handler(request, withPayment(ctx, decision.payment));
      } catch (error) {
        decision.finalize(500);
        throw error;
      }
      const extra = decision.finalize(response.status, (name) => response.headers.get(name) ?? undefined);
      const out = withHeaders(response, extra);
      if (decision.record) recordFetchResponse(out, decision.record);
      return out;
    };
  }

  return {
    engine,
    protect,
    protectSavedMethod: (terms, handler) => protect({ savedMethod: terms }, handler),
    async handle(request) {
      const req = fromFetchRequest(request, requestOptions);
      if (!engine.isMounted(req.target)) return undefined;
      const decision = await engine.handle(req);
      return decision.kind === 'respond' ? toFetchResponse(decision) : undefined;
    },
    on: engine.on.bind(engine),
  };
}

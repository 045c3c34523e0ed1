import {
  createMpp,
  type Decision,
  type Mpp,
  MppConfigError,
  MppEngine,
  type MppOptions,
  type MppRequest,
  type Payment,
  type RouteInput,
  type SavedMethodTerms,
} from '@hit-pay/mpp';
import { fromNodeRequest, groupHeaders, settleNodeResponse } from '@hit-pay/mpp/node';
import type { Context, Middleware, Next } from 'koa';

const PKG = '@hit-pay/mpp-koa';

declare module 'koa' {
  interface DefaultState {
    /** The verified payment, set on requests a payment gate let through. */
    mpp?: Payment;
  }
}

/**
 * Options of {@link mppKoa}: core's `createMpp` options (or an `Mpp` you already created, as
 * `{ mpp }`), plus an optional route map protecting routes from this one middleware.
 */
export type MppKoaOptions = (MppOptions | { mpp: Mpp }) & {
  /**
   * Protected routes, `'METHOD /path/:param'` → price or route config. Matching fails closed: a
   * path that any decoding would route here pays. Default: none (use `protect` on router routes).
   */
  routes?: Record<string, RouteInput>;
};

/** The middleware `mppKoa` returns, with router-level gates that share its engine. */
export interface MppKoaMiddleware extends Middleware {
  /** The `Mpp` in use (subscribe to events with `mpp.on('paid', …)`). */
  readonly mpp: Mpp;
  /** A router middleware charging a one-time price (or any route config) before the handler. */
  protect(price: RouteInput): Middleware;
  /** A router middleware charging a saved payment method (`hitpay-save`). */
  protectSavedMethod(terms: SavedMethodTerms): Middleware;
}

function headerText(value: unknown): string | undefined {
  return Array.isArray(value)
    ? value.join(', ')
    : value === undefined || value === ''
      ? undefined
      : String(value);
}

/**
 * Koa middleware for HitPay MPP. Serves the engine's mounted routes (the embedded broker), gates
 * the routes of `options.routes`, and hands out `protect(price)` router middleware. Paid requests
 * get `ctx.state.mpp`; after the handler, a 2xx gets the receipt and anything else releases the
 * payment. Options are validated now: bad configuration throws `MppConfigError`.
 *
 * Register it before body parsers, or after `@koa/bodyparser` (its `ctx.request.rawBody` is used).
 *
 * @example
 * // HitPay settings from the environment (HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, …)
 * const mpp = mppKoa({ routes: { 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } } });
 * app.use(mpp);
 * router.get('/report', mpp.protect({ amount: '5.00', currency: 'SGD' }), (ctx) => { ctx.body = ctx.state.mpp; });
 */
export function mppKoa(options?: MppKoaOptions): MppKoaMiddleware {
  const mpp = options && 'mpp' in options ? options.mpp : createMpp(options, { pkg: PKG });
  if (!(mpp?.engine instanceof MppEngine))
    throw new MppConfigError(PKG, 'mpp', 'must be an Mpp from createMpp()');
  const engine = mpp.engine;
  if (options?.routes !== undefined) engine.useRoutes(options.routes, PKG);
  const nodeOptions = { trustProxy: engine.options.trustProxy, maxBodyBytes: engine.options.maxBodyBytes };

  function toMppRequest(ctx: Context): MppRequest {
    // originalUrl: koa-mount and friends rewrite req.url, but the paid target is what was sent.
    const req = fromNodeRequest(ctx.req, { ...nodeOptions, target: ctx.originalUrl });
    // A body parser that ran first (router-level gates) keeps the raw text; it is the UTF-8 body.
    const raw = (ctx.request as { rawBody?: unknown }).rawBody;
    return typeof raw === 'string' ? { ...req, body: async () => Buffer.from(raw) } : req;
  }

  async function apply(decision: Decision, ctx: Context, next: Next): Promise<void> {
    if (decision.kind === 'next') return next();
    if (decision.kind === 'respond') {
      ctx.status = decision.status;
      for (const [name, value] of groupHeaders(decision.headers, (n) => ctx.response.get(n) || undefined))
        ctx.set(name, value);
      // A string body (content-type is set above) goes out with the headers in one socket write.
      ctx.body = typeof decision.body === 'string' ? decision.body : Buffer.from(decision.body);
      return;
    }
    ctx.state.mpp = decision.payment;
    // Koa's own way settles below, after the handler. The Node bridge is the net for what Koa does
    // not see: handlers that write ctx.res themselves (ctx.respond = false) and aborted requests.
    settleNodeResponse(ctx.res, decision);
    try {
      await next();
    } catch (error) {
      decision.finalize(500);
      throw error;
    }
    const extra = decision.finalize(ctx.status, (name) => headerText(ctx.response.get(name)));
    for (const [name, value] of extra) ctx.set(name, value);
  }

  let protectedCount = 0;
  function protect(price: RouteInput): Middleware {
    const route = engine.route(price, `${PKG} protect #${++protectedCount}`);
    return async function mppKoaProtect(ctx, next) {
      await apply(await engine.decide(toMppRequest(ctx), route), ctx, next);
    };
  }

  const middleware: Middleware = async function mppKoaMiddleware(ctx, next) {
    // What engine.handle would answer `next` to (not mounted, no route) goes straight on: the
    // unprotected routes of an app pay one synchronous lookup, no request wrapper, no promise.
    const target = ctx.originalUrl;
    if (!engine.isMounted(target) && !engine.match({ method: ctx.method, target })) return next();
    await apply(await engine.handle(toMppRequest(ctx)), ctx, next);
  };
  return Object.assign(middleware, {
    mpp,
    protect,
    protectSavedMethod: (terms: SavedMethodTerms) => protect({ savedMethod: terms }),
  });
}

import {
  type Decision,
  type MppGates,
  type MppMiddlewareOptions,
  type MppRequest,
  mppOf,
  type Payment,
  routeGates,
} from '@hit-pay/mpp';
import { fromNodeRequest, groupHeaders, headerText, settleNodeResponse } from '@hit-pay/mpp/node';
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
 * `{ mpp }`), plus an optional route map (`routes`) protecting routes from this one middleware.
 */
export type MppKoaOptions = MppMiddlewareOptions;

/** The middleware `mppKoa` returns, with router-level gates (`protect`) that share its engine. */
export interface MppKoaMiddleware extends Middleware, MppGates<Middleware> {}

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
  const mpp = mppOf(options, PKG);
  const engine = mpp.engine;

  // originalUrl: koa-mount and friends rewrite req.url, but the paid target is what was sent. A body
  // parser that ran first (router-level gates) keeps the raw text as ctx.request.rawBody.
  const toMppRequest = (ctx: Context): MppRequest =>
    fromNodeRequest(ctx.req, engine.options, ctx.originalUrl, (ctx.request as { rawBody?: unknown }).rawBody);

  async function apply(decision: Decision, ctx: Context, next: Next): Promise<void> {
    if (decision.kind === 'next') return next();
    if (decision.kind === 'respond') {
      ctx.status = decision.status;
      for (const [name, value] of groupHeaders(decision.headers, (n) => ctx.response.get(n)))
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

  const middleware: Middleware = async function mppKoaMiddleware(ctx, next) {
    // What engine.handle would answer `next` to (not mounted, no route) goes straight on: the
    // unprotected routes of an app pay one synchronous lookup, no request wrapper, no promise.
    const target = ctx.originalUrl;
    if (!engine.isMounted(target) && !engine.match({ method: ctx.method, target })) return next();
    await apply(await engine.handle(toMppRequest(ctx)), ctx, next);
  };
  return Object.assign(
    middleware,
    routeGates(mpp, PKG, (route): Middleware => {
      return async function mppKoaProtect(ctx, next) {
        await apply(await engine.decide(toMppRequest(ctx), route), ctx, next);
      };
    }),
  );
}

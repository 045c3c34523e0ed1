import type { IncomingMessage } from 'node:http';
import {
  type Decision,
  type MppGates,
  type MppMiddlewareOptions,
  mppOf,
  type Payment,
  routeGates,
} from '@hit-pay/mpp';
import { fromNodeRequest, settleNodeResponse, writeNodeResponse } from '@hit-pay/mpp/node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

const PKG = '@hit-pay/mpp-express';

declare global {
  namespace Express {
    interface Request {
      /** The verified payment, set on requests a payment gate let through. */
      mpp?: Payment;
    }
  }
}

/**
 * Options of {@link mppExpress}: core's `createMpp` options (or an `Mpp` you already created, as
 * `{ mpp }`), plus an optional route map (`routes`) protecting routes from this one middleware.
 */
export type MppExpressOptions = MppMiddlewareOptions;

/** The middleware `mppExpress` returns, with route-level gates (`protect`) that share its engine. */
export interface MppExpressMiddleware extends RequestHandler, MppGates<RequestHandler> {}

/**
 * Express middleware for HitPay MPP. Serves the engine's mounted routes (the embedded broker), gates
 * the routes of `options.routes`, and hands out `protect(price)` route middleware. Paid requests get
 * `req.mpp`; the receipt is added however the handler answers, and a non-2xx answer releases the
 * payment. Options are validated now: bad configuration throws `MppConfigError`.
 *
 * Register it before body parsers (it reads the raw body for the digest binding and leaves it in
 * place), or keep the raw body yourself: `express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`.
 *
 * @example
 * // HitPay settings from the environment (HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, …)
 * const mpp = mppExpress({ routes: { 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } } });
 * app.use(mpp);
 * app.get('/report', mpp.protect({ amount: '5.00', currency: 'SGD' }), (req, res) => res.json(req.mpp));
 */
export function mppExpress(options?: MppExpressOptions): MppExpressMiddleware {
  const mpp = mppOf(options, PKG);
  const engine = mpp.engine;
  const toMppRequest = (req: IncomingMessage) => fromNodeRequest(req, engine.options);

  // Decisions are complete answers: a refusal is written as is, never passed to next(err). Only an
  // unexpected failure (a mounted broker route throwing) reaches the app's error handler.
  function apply(decision: Decision, req: Request, res: Response, next: NextFunction): void {
    if (decision.kind === 'respond') {
      writeNodeResponse(res, decision);
      return;
    }
    if (decision.kind === 'pass') {
      req.mpp = decision.payment;
      settleNodeResponse(res, decision);
    }
    next();
  }

  const middleware: RequestHandler = function mppExpressMiddleware(req, res, next) {
    // What engine.handle would answer `next` to (not mounted, no route) goes straight on: the
    // unprotected routes of an app pay one synchronous lookup, no request wrapper, no promise.
    const target = req.originalUrl ?? req.url ?? '/';
    if (!engine.isMounted(target) && !engine.match({ method: req.method, target })) {
      next();
      return;
    }
    engine
      .handle(toMppRequest(req))
      .then((decision) => apply(decision, req, res, next))
      .catch(next);
  };
  return Object.assign(
    middleware,
    routeGates(mpp, PKG, (route): RequestHandler => {
      return function mppExpressProtect(req, res, next) {
        engine
          .decide(toMppRequest(req), route)
          .then((decision) => apply(decision, req, res, next))
          .catch(next);
      };
    }),
  );
}

import type { IncomingMessage } from 'node:http';
import {
  type MppGates,
  type MppMiddlewareOptions,
  mppOf,
  type PassDecision,
  type Payment,
  routeGates,
} from '@hit-pay/mpp';
import { nodeGate, nodeMiddleware } from '@hit-pay/mpp/node';
import type { RequestHandler } from 'express';

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

// Express's request is Node's, so core's Node middleware is the adapter; Express only adds `req.mpp`.
const onPass = (req: IncomingMessage, pass: PassDecision): void => {
  (req as Express.Request).mpp = pass.payment;
};

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
  const gates = routeGates(mpp, PKG, (route): RequestHandler => nodeGate(mpp.engine, route, onPass));
  return Object.assign(nodeMiddleware(mpp.engine, onPass) as RequestHandler, gates);
}

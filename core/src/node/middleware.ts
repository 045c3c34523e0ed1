import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MppEngine } from '../engine/engine.js';
import type { CompiledRoute } from '../engine/route.js';
import type { Decision, PassDecision } from '../engine/types.js';
import { fromNodeRequest } from './request.js';
import { settleNodeResponse, writeNodeResponse } from './response.js';

/**
 * Connect-style middleware over Node's own request and response: the shape of `node:http`
 * handlers with a `next`, as Connect, Express, Polka and Nest's middleware consumer call them.
 */
export type NodeMiddleware<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** Sees each request a gate lets through paid, before `next` (Express puts the payment on `req.mpp`). */
export type OnNodePass<Req extends IncomingMessage> = (req: Req, pass: PassDecision) => void;

// Decisions are complete answers: a refusal is written as is, never passed to next(err). Only an
// unexpected failure (a mounted broker route throwing) reaches the app's error handler.
function settle<Req extends IncomingMessage>(
  decision: Decision,
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
  onPass: OnNodePass<Req> | undefined,
): void {
  if (decision.kind === 'respond') {
    writeNodeResponse(res, decision);
    return;
  }
  if (decision.kind === 'pass') {
    onPass?.(req, decision);
    // Every way of answering goes through writeHead, where the receipt is added on 2xx and the
    // payment released otherwise.
    settleNodeResponse(res, decision);
  }
  next();
}

/**
 * Middleware serving the engine's mounted routes (the embedded broker, the discovery document) and
 * gating the routes of its route map; everything else goes straight to `next`. The target is
 * `req.originalUrl` when the framework rewrote `req.url` (Express sub-apps), else `req.url`.
 * `next(error)` gets unexpected failures only; like Connect's, `next` must not throw, since what
 * it throws comes back to it as an error.
 *
 * @example
 * const mpp = createMpp(); // HitPay settings from the environment (HITPAY_API_KEY, …)
 * mpp.engine.useRoutes({ 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } });
 * const gate = nodeMiddleware(mpp.engine);
 * http.createServer((req, res) => gate(req, res, (error) => (error ? fail(res, error) : forecast(req, res))));
 */
export function nodeMiddleware<Req extends IncomingMessage = IncomingMessage>(
  engine: MppEngine,
  onPass?: OnNodePass<Req>,
): NodeMiddleware<Req> {
  return function mppMiddleware(req, res, next) {
    // What engine.handle would answer `next` to (not mounted, no route) goes straight on: the
    // unprotected routes of an app pay one synchronous lookup, no request wrapper, no promise.
    const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    if (!engine.isMounted(target) && !engine.match({ method: req.method ?? 'GET', target })) {
      next();
      return;
    }
    engine
      .handle(fromNodeRequest(req, engine.options))
      .then((decision) => settle(decision, req, res, next, onPass))
      .catch(next);
  };
}

/** Middleware charging one compiled route (`engine.route(price)`) before the handler runs. */
export function nodeGate<Req extends IncomingMessage = IncomingMessage>(
  engine: MppEngine,
  route: CompiledRoute,
  onPass?: OnNodePass<Req>,
): NodeMiddleware<Req> {
  return function mppGate(req, res, next) {
    engine
      .decide(fromNodeRequest(req, engine.options), route)
      .then((decision) => settle(decision, req, res, next, onPass))
      .catch(next);
  };
}

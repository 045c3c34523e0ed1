import { MppEngine } from './engine/engine.js';
import type { CompiledRoute } from './engine/route.js';
import type { RouteInput, SavedMethodTerms } from './engine/types.js';
import { createMpp, type Mpp, type MppOptions } from './fetch.js';
import { MppConfigError } from './protocol/errors.js';

/**
 * What every adapter accepts as its options: `createMpp`'s options (HitPay settings, engine
 * options), or an `Mpp` you already created, as `{ mpp }`, to share one engine between adapters.
 */
export type MppSource = MppOptions | { mpp: Mpp };

/** Options of the middleware-style adapters (Express, Koa): an {@link MppSource} plus a route map. */
export type MppMiddlewareOptions = MppSource & {
  /**
   * Protected routes, `'METHOD /path/:param'` → price or route config. Matching fails closed: a
   * path that any decoding would route here pays. Default: none (use `protect` per route).
   */
  routes?: Record<string, RouteInput>;
};

/** The route-level gates a middleware-style adapter hands out, sharing its engine. */
export interface MppGates<Gate> {
  /** The `Mpp` in use (subscribe to events with `mpp.on('paid', …)`). */
  readonly mpp: Mpp;
  /** A route gate charging a one-time price (or any route config) before the handler. */
  protect(price: RouteInput): Gate;
  /** A route gate charging a saved payment method (`hitpay-save`). */
  protectSavedMethod(terms: SavedMethodTerms): Gate;
}

/**
 * The `Mpp` an adapter runs on: the one given as `{ mpp }`, or one created from the options now
 * (validated: bad options throw `MppConfigError` naming the adapter's package). A route map in the
 * options is installed on its engine.
 */
export function mppOf(options: MppSource | MppMiddlewareOptions | undefined, pkg: string): Mpp {
  const mpp = options && 'mpp' in options ? options.mpp : createMpp(options, { pkg });
  if (!(mpp?.engine instanceof MppEngine))
    throw new MppConfigError(pkg, 'mpp', 'must be an Mpp from createMpp()');
  const routes = (options as MppMiddlewareOptions | undefined)?.routes;
  if (routes !== undefined) mpp.engine.useRoutes(routes, pkg);
  return mpp;
}

/**
 * The `protect` / `protectSavedMethod` pair of a middleware-style adapter: each call compiles its
 * route now (a bad price throws at start-up) and wraps it in the adapter's own gate.
 */
export function routeGates<Gate>(
  mpp: Mpp,
  pkg: string,
  gate: (route: CompiledRoute) => Gate,
): MppGates<Gate> {
  let count = 0;
  const protect = (price: RouteInput): Gate => gate(mpp.engine.route(price, `${pkg} protect #${++count}`));
  return { mpp, protect, protectSavedMethod: (terms) => protect({ savedMethod: terms }) };
}

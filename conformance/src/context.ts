import { createMpp, type Mpp, type MppOptions, mountFetch } from '@hit-pay/mpp';
import { type TestMethodStats, testMethod } from '@hit-pay/mpp/testing';
import { PROTECTED_ROUTES, type ProtectedRoute, ROUTE_KEYS, type RouteKey } from './routes.js';
import type { ScenarioConfig } from './vectors.js';

/** The HMAC secret every conformance engine signs with (the suite recomputes challenge ids). */
export const CONFORMANCE_SECRET = 'hit-pay-mpp-conformance-secret-0123456789';
/** The realm every conformance engine announces. */
export const CONFORMANCE_REALM = 'conformance.example';
/** The clock's start: 2026-09-15T12:00:00Z. */
export const CONFORMANCE_EPOCH = Date.UTC(2026, 8, 15, 12, 0, 0);

/** What the suite hands a fixture for one scenario: a deterministic engine and the standard routes. */
export interface FixtureContext {
  /** The fixture variant being run (see {@link ConformanceFixture.variants}). */
  readonly variant: string;
  /**
   * The Fetch API over the scenario's engine: test methods, secret, injected clock, realm, and the
   * suite's mounted handler (`/mpp/ping`, `/mpp/echo`) under the engine prefix. Adapters take it as
   * their `mpp` option (or use `mpp.protect` for Fetch).
   */
  readonly mpp: Mpp;
  /** The options `mpp` was created from (without the mounted handler, which is engine state). */
  readonly options: MppOptions;
  /** The standard protected route table, `METHOD /path` → price (a route map adapters accept as is). */
  readonly routes: Readonly<Record<ProtectedRoute, (typeof PROTECTED_ROUTES)[ProtectedRoute]>>;
  /** Call first thing in every handler of the standard app; returns that route's run count so far. */
  ran(route: RouteKey): number;
}

/** The suite's side of a context: counters, stats and the clock. */
export interface ContextState {
  readonly context: FixtureContext;
  readonly runs: Map<RouteKey, number>;
  stats(): TestMethodStats;
  advance(seconds: number): void;
  now(): number;
}

/** The mounted Fetch handler: a tiny stand-in for the embedded broker, served under `/mpp`. */
/** The context a fixture app is built from, and the handler-run counters it reports into. */
export function fixtureContext(
  variant: string,
  mpp: Mpp,
  options: MppOptions,
): { context: FixtureContext; runs: Map<RouteKey, number> } {
  const runs = new Map<RouteKey, number>(ROUTE_KEYS.map((k) => [k, 0]));
  const context: FixtureContext = {
    variant,
    mpp,
    options,
    routes: PROTECTED_ROUTES,
    ran(route) {
      const n = (runs.get(route) ?? 0) + 1;
      runs.set(route, n);
      return n;
    },
  };
  return { context, runs };
}

async function mounted(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const headers = { 'content-type': 'application/json', 'x-mpp-mounted': 'yes' };
  if (request.method === 'GET' && path === '/mpp/ping') return new Response('{"pong":true}', { headers });
  if (request.method === 'POST' && path === '/mpp/echo') {
    return new Response(await request.text(), { headers: { ...headers, 'content-type': 'text/plain' } });
  }
  return new Response('{"error":"not found"}', { status: 404, headers });
}

/** Builds the deterministic context of one scenario run. */
export function createContext(variant: string, config: ScenarioConfig = {}): ContextState {
  let now = CONFORMANCE_EPOCH;
  const methods = (config.methods ?? ['test']).map((name) => testMethod({ name }));
  const options: MppOptions = {
    methods,
    secretKey: CONFORMANCE_SECRET,
    clock: () => now,
    realm: CONFORMANCE_REALM,
    requireTls: config.requireTls ?? false,
    trustProxy: config.trustProxy ?? false,
    paymentAuthorizationHeader: config.paymentAuthorizationHeader ?? false,
    version: config.version ?? '01',
  };
  const mpp = createMpp(options);
  mpp.engine.mount(mountFetch(mounted));
  const { context, runs } = fixtureContext(variant, mpp, options);
  return {
    context,
    runs,
    stats: () =>
      methods.reduce(
        (sum, m) => ({
          verifyCalls: sum.verifyCalls + m.stats.verifyCalls,
          commits: sum.commits + m.stats.commits,
          releases: sum.releases + m.stats.releases,
        }),
        { verifyCalls: 0, commits: 0, releases: 0 },
      ),
    advance(seconds) {
      now += seconds * 1000;
    },
    now: () => now,
  };
}

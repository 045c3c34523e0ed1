import { MppConfigError, MppError } from '../protocol/errors.js';
import { EventHub, type Listener, type MppEventName } from './events.js';
import { Gate } from './gate.js';
import { type EngineOptions, type ResolvedEngineOptions, resolveEngineOptions } from './options.js';
import { problemResponse } from './responses.js';
import { type CompiledRoute, compileRoute, RouteTable } from './route.js';
import type { Decision, MppRequest, RouteInput } from './types.js';

/** A handler for the routes the engine mounts under its prefix (the embedded broker). */
export type MountedHandler = (req: MppRequest) => Promise<Decision>;

/**
 * The framework-neutral engine every adapter drives: compile routes once at start-up, then per
 * request `decide` (a route you already matched) or `handle` (match the route map and mounted
 * routes first). Adapters translate requests in and decisions out — nothing else.
 */
export class MppEngine {
  readonly options: ResolvedEngineOptions;
  readonly events = new EventHub();
  private readonly gate: Gate;
  private table: RouteTable | undefined;
  private mounted: MountedHandler | undefined;
  /** Routes compiled by `routeOf`, per price object. */
  private readonly compiled = new WeakMap<object, CompiledRoute>();

  /** The package named in configuration errors (the adapter's, when an adapter built the engine). */
  readonly pkg: string;

  constructor(options: EngineOptions | ResolvedEngineOptions, pkg = '@hit-pay/mpp') {
    this.pkg = pkg;
    this.options =
      Object.isFrozen(options) && 'secrets' in options
        ? options
        : resolveEngineOptions(options as EngineOptions, pkg);
    this.gate = new Gate(this.options, this.events);
  }

  /** Compiles one route (validates it now; throws MppConfigError naming the route). */
  route(input: RouteInput, label = 'route'): CompiledRoute {
    return compileRoute(input, this.options.methods, label, this.pkg);
  }

  /**
   * The compiled route of a price, compiled once per price object: for adapters that find prices
   * in route metadata on every request (Fastify route config, Nest decorators).
   */
  routeOf(input: RouteInput, label: string): CompiledRoute {
    const known = this.compiled.get(input);
    if (known) return known;
    const route = this.route(input, label);
    this.compiled.set(input, route);
    return route;
  }

  /** Installs a route map (`{ 'GET /forecast/:zip': { amount: '1.00', currency: 'sgd' } }`). */
  useRoutes(routes: Record<string, RouteInput>, pkg = this.pkg): void {
    this.table = new RouteTable(routes, this.options.methods, pkg);
  }

  /** Serves requests under `options.prefix` (the embedded broker's webhook, checkout, JWKS…). */
  mount(handler: MountedHandler): void {
    this.mounted = handler;
  }

  /** True when the target is one of the mounted routes. */
  isMounted(target: string): boolean {
    if (!this.mounted) return false;
    const p = this.options.prefix;
    return (
      target === p ||
      target.startsWith(`${p}/`) ||
      target.startsWith(`${p}?`) ||
      target === '/.well-known/jwks.json'
    );
  }

  /** The route-map route for a request, if any. */
  match(req: Pick<MppRequest, 'method' | 'target'>): CompiledRoute | undefined {
    return this.table?.match(req.method, req.target);
  }

  /** Decides a request against a route the caller has already matched. */
  decide(req: MppRequest, route: CompiledRoute): Promise<Decision> {
    return this.gate.decide(req, route);
  }

  /** Full dispatch for a global middleware: mounted routes, then the route map, else `next`. */
  async handle(req: MppRequest): Promise<Decision> {
    if (this.mounted && this.isMounted(req.target)) {
      // A Fetch Request cannot carry these methods, and no mounted route serves them.
      if (FETCH_FORBIDDEN.has(req.method))
        return problemResponse(new MppError('not-found', `${req.method} is not served here`), []);
      try {
        return await this.mounted(req);
      } catch (error) {
        // A refusal (body too large, broker unavailable) is an answer like any other, the same on
        // every framework; only an unexpected failure reaches the app's error handler.
        if (error instanceof MppError && !(error instanceof MppConfigError))
          return problemResponse(error, []);
        throw error;
      }
    }
    const route = this.match(req);
    return route ? this.gate.decide(req, route) : NEXT;
  }

  /** Subscribes to an engine event; returns the unsubscribe function. */
  on<K extends MppEventName>(name: K, listener: Listener<K>): () => void {
    return this.events.on(name, listener);
  }
}

const NEXT: Decision = Object.freeze({ kind: 'next' as const });
const FETCH_FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);

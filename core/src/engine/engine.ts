import {
  buildOpenApiDocument,
  type DiscoveryOperation,
  type JsonObject,
  parseOperation,
} from '../discovery/openapi.js';
import { DISCOVERY_PATH, discoveryResponse, isDiscoveryTarget } from '../discovery/serve.js';
import { MppConfigError, MppError } from '../protocol/errors.js';
import { EventHub, type Listener, type MppEventName } from './events.js';
import { Gate } from './gate.js';
import { type EngineOptions, type ResolvedEngineOptions, resolveEngineOptions } from './options.js';
import { problemResponse } from './responses.js';
import { type CompiledRoute, compileRoute, RouteTable, toRouteConfig } from './route.js';
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
  /** Priced operations outside the route map, for discovery (`publish`). */
  private readonly published: DiscoveryOperation[] = [];
  /** The serialized discovery document, until the known routes change. */
  private discoveryBody: Uint8Array | undefined;

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

  /**
   * Compiles one route (validates it now; throws MppConfigError naming the route). A route config
   * with an `operation` is also published for discovery.
   */
  route(input: RouteInput, label = 'route'): CompiledRoute {
    const route = compileRoute(input, this.options.methods, label, this.pkg);
    const operation = toRouteConfig(input).operation;
    if (operation !== undefined) {
      const op = parseOperation(operation);
      if (!op) throw new MppConfigError(this.pkg, `${label}.operation`, 'must look like "GET /reports/:id"');
      this.publish(op.method, op.path, route);
    }
    return route;
  }

  /**
   * Lists a priced route in the discovery document as `method path` (`'GET'`, `'/forecast/:zip'`):
   * adapters call it for routes whose path they know at registration. Route-map routes are listed
   * already. A method OpenAPI cannot name is ignored.
   */
  publish(method: string, path: string, route: CompiledRoute): void {
    this.published.push({ method: method.toUpperCase(), path, route });
    this.discoveryBody = undefined;
  }

  /**
   * The discovery document (OpenAPI 3.1) of every priced route known now — the route map first,
   * then published routes — or undefined when the `discovery` option is off. For apps that merge
   * `x-payment-info` into an OpenAPI document of their own.
   */
  discoveryDocument(): JsonObject | undefined {
    const info = this.options.discovery;
    if (!info) return undefined;
    return buildOpenApiDocument(info, [...(this.table?.operations ?? []), ...this.published]);
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
    this.discoveryBody = undefined;
  }

  /** Serves requests under `options.prefix` (the embedded broker's webhook, checkout, JWKS…). */
  mount(handler: MountedHandler): void {
    this.mounted = handler;
  }

  /**
   * The route patterns the engine answers itself, for routers that only see what is registered
   * with them (Fastify, Nest): the prefix, the prefix followed by the router's own `wildcard`
   * (Fastify `*`, Nest `{*path}`), and exact paths. Empty when nothing is mounted and discovery is off.
   */
  mountedPaths(wildcard: string): string[] {
    const p = this.options.prefix;
    const paths = this.mounted ? [p, `${p}/${wildcard}`, JWKS_PATH] : [];
    if (this.options.discovery) paths.push(DISCOVERY_PATH);
    return paths;
  }

  /** True when the target is one of the mounted routes (or the discovery document, when on). */
  isMounted(target: string): boolean {
    if (this.options.discovery && isDiscoveryTarget(target)) return true;
    if (!this.mounted) return false;
    const p = this.options.prefix;
    return target === p || target.startsWith(`${p}/`) || target.startsWith(`${p}?`) || target === JWKS_PATH;
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
    if (this.options.discovery && isDiscoveryTarget(req.target)) {
      // Built on first request, when every adapter has published its routes; kept until they change.
      const doc = () => (this.discoveryBody ??= this.serializeDiscovery());
      return discoveryResponse(this.options, req, doc) ?? NEXT;
    }
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

  private serializeDiscovery(): Uint8Array {
    const doc = this.discoveryDocument()!;
    // The draft wants at least one path; an empty document usually means gates without `operation`.
    if (Object.keys(doc.paths as object).length === 0)
      this.options.logger.warn(
        { option: 'discovery' },
        'The discovery document lists no priced route: give route-level gates an `operation`',
      );
    return UTF8.encode(JSON.stringify(doc));
  }

  /** Subscribes to an engine event; returns the unsubscribe function. */
  on<K extends MppEventName>(name: K, listener: Listener<K>): () => void {
    return this.events.on(name, listener);
  }
}

const UTF8 = new TextEncoder();
const NEXT: Decision = Object.freeze({ kind: 'next' as const });
/** Where the mounted broker publishes its keys, whatever the prefix (clients look for it there). */
const JWKS_PATH = '/.well-known/jwks.json';
const FETCH_FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);

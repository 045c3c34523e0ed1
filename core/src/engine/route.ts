import { MppConfigError } from '../protocol/errors.js';
import type { MethodRoute, PaymentMethod } from './method.js';
import type { RouteConfig, RouteInput, Settlement } from './types.js';

/** A route compiled once at start-up: which methods price it and how it settles. */
export interface CompiledRoute {
  /** `GET /forecast/:zip`, or a label given by the adapter. */
  readonly label: string;
  readonly offers: readonly { readonly method: PaymentMethod; readonly route: MethodRoute }[];
  readonly settlement: Settlement;
}

/** Accepts the shorthand forms (a Price or a price function) and returns the full RouteConfig. */
export function toRouteConfig(input: RouteInput): RouteConfig {
  if (typeof input === 'function') return { price: input };
  if (input && typeof input === 'object' && 'amount' in input) return { price: input };
  return input as RouteConfig;
}

/** Compiles a route against the configured methods; throws MppConfigError when nothing can price it. */
export function compileRoute(
  input: RouteInput,
  methods: readonly PaymentMethod[],
  label: string,
  pkg = '@hit-pay/mpp',
): CompiledRoute {
  if (input === null || (typeof input !== 'object' && typeof input !== 'function')) {
    throw new MppConfigError(
      pkg,
      `routes["${label}"]`,
      'must be a price, a price function or a route config',
    );
  }
  const config = toRouteConfig(input);
  if (config.settlement !== undefined && config.settlement !== 'success' && config.settlement !== 'always') {
    throw new MppConfigError(pkg, `routes["${label}"].settlement`, 'must be "success" or "always"');
  }
  const wanted = config.methods ? new Set(config.methods) : undefined;
  const offers: { method: PaymentMethod; route: MethodRoute }[] = [];
  for (const method of methods) {
    if (wanted && !wanted.has(method.name)) continue;
    let route: MethodRoute | undefined;
    try {
      route = method.compile(config);
    } catch (error) {
      if (error instanceof MppConfigError) throw error;
      throw new MppConfigError(
        pkg,
        `routes["${label}"]`,
        `is invalid for ${method.name}: ${(error as Error).message}`,
      );
    }
    if (route) offers.push({ method, route });
  }
  if (offers.length === 0) {
    throw new MppConfigError(
      pkg,
      `routes["${label}"]`,
      `has no payment method that can price it (configured: ${methods.map((m) => m.name).join(', ')})`,
    );
  }
  return Object.freeze({ label, offers: Object.freeze(offers), settlement: config.settlement ?? 'success' });
}

/** A route as written: method (upper-case, `*` for any) and path pattern (`/forecast/:zip`). */
export interface RouteOperation {
  readonly method: string;
  readonly path: string;
  readonly route: CompiledRoute;
}

interface TableEntry extends RouteOperation {
  readonly pattern: RegExp;
}

const PATTERN = /^(?:([A-Za-z]+|\*)\s+)?(\/\S*)$/;

/**
 * `'GET /forecast/:zip'` → its method (upper-case; `'*'` when none is named) and path pattern, or
 * undefined when the key is malformed. Route maps and discovery's `operation` share this grammar.
 */
export function parseRouteKey(key: string): { method: string; path: string } | undefined {
  const m = PATTERN.exec(key.trim());
  return m ? { method: (m[1] ?? '*').toUpperCase(), path: m[2]! } : undefined;
}
/** Scheme and authority of an absolute-form request target (RFC 9112 §3.2.2). */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/** Compiles a route pattern (`/forecast/:zip`, `/files/*`) to a case-insensitive regex. */
function patternToRegex(path: string): RegExp {
  const parts = path.split('/').map((seg) => {
    if (seg === '*') return '[\\s\\S]*';
    if (seg.startsWith(':')) return '[^/]+';
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  // Optional trailing slash and case-insensitivity mirror Express/Koa defaults, so a route map
  // protects at least every path the framework would route to the same handler.
  return new RegExp(`^${parts.join('/').replace(/\/$/, '')}/?$`, 'i');
}

/** Percent-decodes everything (including %2F, %5C), tolerating malformed escapes. */
function decodeAll(path: string): string {
  return path.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) =>
        String.fromCharCode(Number.parseInt(h, 16)),
      );
    }
  });
}

/** The decoded, separator-normalized form of a path: `\` → `/`, `//` → `/`, dot segments resolved. */
function loosePath(raw: string): string {
  const segments: string[] = [];
  for (const seg of decodeAll(raw).replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  return `/${segments.join('/')}`;
}

/**
 * A route map (`{ 'GET /forecast/:zip': price }`) for adapters that protect routes from one global
 * middleware. Matching fails closed: a request is protected when ANY reading of its path (raw,
 * percent-decoded, with `\`, `//` and dot segments normalized) matches a protected pattern, so an
 * encoding trick can at worst make a request pay, never skip payment.
 */
export class RouteTable {
  private readonly entries: TableEntry[] = [];

  constructor(routes: Record<string, RouteInput>, methods: readonly PaymentMethod[], pkg = '@hit-pay/mpp') {
    if (routes === null || typeof routes !== 'object')
      throw new MppConfigError(pkg, 'routes', 'must be an object');
    for (const [key, input] of Object.entries(routes)) {
      const parsed = parseRouteKey(key);
      if (!parsed)
        throw new MppConfigError(pkg, `routes["${key}"]`, 'must look like "GET /path/:param" or "/path/*"');
      this.entries.push({
        method: parsed.method,
        path: parsed.path,
        pattern: patternToRegex(parsed.path),
        route: compileRoute(input, methods, key, pkg),
      });
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** The routes in the order they match (the first match wins), as written. */
  get operations(): readonly RouteOperation[] {
    return this.entries;
  }

  /** The protected route for a request, or undefined when it is not protected. */
  match(method: string, target: string): CompiledRoute | undefined {
    if (this.entries.length === 0) return undefined;
    // Absolute-form (`GET http://host/paid/1 HTTP/1.1`): Express and Koa route on its path, so the
    // route map must too, or the request reaches the protected handler unpaid.
    if (target.charCodeAt(0) !== 47) {
      const origin = ABSOLUTE_FORM.exec(target);
      if (origin) target = `/${target.slice(origin[0].length).replace(/^\//, '')}`;
    }
    const q = target.search(/[?#]/);
    const raw = q < 0 ? target : target.slice(0, q);
    const verb = method.toUpperCase();
    const candidates = /[%\\]|\/\/|\/\.|\.\//.test(raw) ? [raw, loosePath(raw)] : [raw];
    for (const e of this.entries) {
      // HEAD is served by GET routes in every framework we adapt; OPTIONS stays unprotected (CORS
      // preflights carry no credentials) unless a route names it.
      if (e.method !== '*' && e.method !== verb && !(verb === 'HEAD' && e.method === 'GET')) continue;
      if (e.method === '*' && verb === 'OPTIONS') continue;
      for (const c of candidates) if (e.pattern.test(c)) return e.route;
    }
    return undefined;
  }
}

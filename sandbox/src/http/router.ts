/**
 * Method + path routing for node:http. Patterns use `{name}` placeholders, also inside a segment
 * (`@{slug}`). A path that exists under another method is a 405 listing the allowed methods, as
 * Laravel does, rather than a 404.
 */

/** Who may call a route: HitPay API routes need `X-BUSINESS-API-KEY`, pages and `/_sandbox` do not. */
export type RouteAuth = 'api-key' | 'none';

/** One registered route; `H` is the handler type of the server using the router. */
export interface Route<H> {
  readonly method: string;
  readonly pattern: string;
  readonly auth: RouteAuth;
  readonly handler: H;
}

/** Result of matching a request line. */
export type RouteMatch<H> =
  | { kind: 'found'; route: Route<H>; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

interface Compiled<H> {
  route: Route<H>;
  regex: RegExp;
  names: string[];
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => {
      const m = /^\{([a-zA-Z]+)\}$/.exec(part);
      if (!m) return escapeRegex(part);
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('');
  return { regex: new RegExp(`^${source}$`), names };
}

/** A route table; see the module comment. */
export class Router<H> {
  private readonly compiled: Compiled<H>[] = [];

  /** Adds a route. Earlier routes win when patterns overlap. */
  add(method: string, pattern: string, auth: RouteAuth, handler: H): this {
    this.compiled.push({
      route: { method: method.toUpperCase(), pattern, auth, handler },
      ...compile(pattern),
    });
    return this;
  }

  /** Matches a method and a raw (still percent-encoded) path. HEAD is served by GET routes. */
  match(method: string, rawPath: string): RouteMatch<H> {
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
    const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    const allowed = new Set<string>();
    for (const c of this.compiled) {
      const m = c.regex.exec(path);
      if (!m) continue;
      if (c.route.method !== wanted) {
        allowed.add(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      try {
        c.names.forEach((name, i) => {
          params[name] = decodeURIComponent(m[i + 1]!);
        });
      } catch {
        return { kind: 'not-found' };
      }
      return { kind: 'found', route: c.route, params };
    }
    return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed] } : { kind: 'not-found' };
  }

  /** Every registered route, for documentation and stats. */
  routes(): Route<H>[] {
    return this.compiled.map((c) => c.route);
  }
}

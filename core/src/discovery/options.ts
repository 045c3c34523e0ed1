import { MppConfigError } from '../protocol/errors.js';

/**
 * Payment discovery (draft-payment-discovery-00): an OpenAPI 3.1 document of the priced routes,
 * served at `GET /openapi.json`. Off unless given: see {@link resolveDiscovery} for why.
 */
export interface DiscoveryOptions {
  /** `info.title`: the service's name. */
  title: string;
  /** `info.version`: the API's version (not the OpenAPI version). */
  version: string;
  /** `info.description`. */
  description?: string;
  /**
   * `servers[].url`: absolute `https://` (or `http://`) URLs, or paths such as `/api`. Default none,
   * which OpenAPI reads as the origin the document was fetched from.
   */
  servers?: readonly string[];
  /** `x-service-info.categories`, e.g. `['data']` (lower-case, hyphenated; the draft advises ≤ 5). */
  categories?: readonly string[];
  /** `x-service-info.docs`: absolute URLs of the API reference, the home page and an llms.txt. */
  docs?: { apiReference?: string; homepage?: string; llms?: string };
}

/** Discovery options after validation: frozen, resolved once at start-up. */
export interface ResolvedDiscovery {
  readonly title: string;
  readonly version: string;
  readonly description: string | undefined;
  readonly servers: readonly string[];
  readonly categories: readonly string[] | undefined;
  readonly docs: Readonly<Record<string, string>> | undefined;
}

const SHAPE = 'must be false or { title, version, description?, servers?, categories?, docs? }';
const DOC_LINKS = ['apiReference', 'homepage', 'llms'] as const;

function absoluteUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function text(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= max;
}

/**
 * Validates the `discovery` option. Undefined (the default) and `false` turn discovery off: the
 * document needs a title and version only the app can name, `/openapi.json` is a path apps often
 * serve themselves (an engine answering it first would shadow theirs), and publishing prices to
 * anyone is the operator's call (the draft's information-disclosure note).
 */
export function resolveDiscovery(input: unknown, pkg: string): ResolvedDiscovery | undefined {
  if (input === undefined || input === false) return undefined;
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new MppConfigError(pkg, 'discovery', SHAPE);
  const o = input as Partial<DiscoveryOptions>;
  if (!text(o.title, 200)) throw new MppConfigError(pkg, 'discovery.title', 'must be a non-empty string');
  if (!text(o.version, 100))
    throw new MppConfigError(pkg, 'discovery.version', 'must be a non-empty string (e.g. "1.0.0")');
  if (o.description !== undefined && typeof o.description !== 'string')
    throw new MppConfigError(pkg, 'discovery.description', 'must be a string');
  const servers = o.servers ?? [];
  if (!Array.isArray(servers) || !servers.every((s) => absoluteUrl(s) || /^\/\S*$/.test(s)))
    throw new MppConfigError(
      pkg,
      'discovery.servers',
      'must list absolute http(s) URLs or paths like "/api"',
    );
  if (o.categories !== undefined && (!Array.isArray(o.categories) || !o.categories.every((c) => text(c, 64))))
    throw new MppConfigError(pkg, 'discovery.categories', 'must be an array of non-empty strings');
  let docs: Record<string, string> | undefined;
  if (o.docs !== undefined) {
    if (o.docs === null || typeof o.docs !== 'object')
      throw new MppConfigError(pkg, 'discovery.docs', 'must be { apiReference?, homepage?, llms? }');
    docs = {};
    for (const [key, value] of Object.entries(o.docs)) {
      if (!(DOC_LINKS as readonly string[]).includes(key))
        throw new MppConfigError(
          pkg,
          `discovery.docs.${key}`,
          'is not a known link (apiReference, homepage, llms)',
        );
      if (value === undefined) continue;
      if (!absoluteUrl(value))
        throw new MppConfigError(pkg, `discovery.docs.${key}`, 'must be an absolute URL');
      docs[key] = value;
    }
  }
  return Object.freeze({
    title: o.title,
    version: o.version,
    description: o.description,
    servers: Object.freeze([...servers]),
    categories: o.categories ? Object.freeze([...o.categories]) : undefined,
    docs: docs ? Object.freeze(docs) : undefined,
  });
}

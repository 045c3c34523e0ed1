import { isToken, quoteString, tokenizeChallenges } from './auth-params.js';
import { MppError } from './errors.js';

/** The auth-scheme name of the Machine Payments Protocol. */
export const PAYMENT_SCHEME = 'Payment';

/**
 * A Payment challenge, as sent in `WWW-Authenticate`. `request` and `opaque` are the exact
 * base64url strings of the wire (they are what the challenge id binds). Unknown parameters are kept
 * under their lower-cased names.
 */
export interface Challenge {
  id: string;
  realm: string;
  method: string;
  intent: string;
  request: string;
  expires?: string;
  digest?: string;
  description?: string;
  opaque?: string;
  /** -01: the request field that must carry the credential (`Payment-Authorization`). */
  header?: string;
  [parameter: string]: string | undefined;
}

const REQUIRED = ['id', 'realm', 'method', 'intent', 'request'] as const;
/** Serialization order of the known parameters; unknown ones follow in insertion order. */
const ORDER = [
  'id',
  'realm',
  'method',
  'intent',
  'request',
  'expires',
  'digest',
  'description',
  'opaque',
  'header',
];

const KNOWN = new Set(ORDER);

function setParam(target: Record<string, string>, name: string, value: string): void {
  // defineProperty keeps a parameter named "__proto__" as plain data.
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Parses every Payment challenge in a `WWW-Authenticate` value (several challenges may arrive
 * comma-joined in one string, as Fetch `Headers` joins repeated lines). Scheme and parameter names
 * are case-insensitive; a repeated parameter keeps its first value; parameters of other schemes never
 * leak into a Payment challenge. An offer missing a required parameter (or with an empty `id`) is
 * skipped; `MppError('malformed-challenge')` is thrown only when no complete Payment challenge remains.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  for (const raw of tokenizeChallenges(header)) {
    if (raw.scheme.toLowerCase() !== 'payment' || raw.broken) continue;
    const c: Record<string, string> = {};
    for (const [name, value] of raw.params) setParam(c, name, value);
    if (REQUIRED.some((name) => c[name] === undefined) || c.id === '') continue;
    out.push(c as unknown as Challenge);
  }
  if (out.length === 0)
    throw new MppError('malformed-challenge', 'No complete Payment challenge in the header');
  return out;
}

/**
 * Serializes a challenge as one `WWW-Authenticate` value: `Payment id="…", realm="…", …` with every
 * value quoted. Throws `MppError('bad-request')` if a value holds a character a quoted-string cannot
 * carry (CR, LF, other controls) or a parameter name is not a lower-case token.
 */
export function formatChallenge(c: Challenge): string {
  for (const name of REQUIRED) {
    if (typeof c[name] !== 'string') throw new MppError('bad-request', `Challenge is missing "${name}"`);
  }
  if (c.id === '') throw new MppError('bad-request', 'Challenge id must not be empty');
  // Built without a closure per call: this runs for every challenge of every 402.
  let out = PAYMENT_SCHEME;
  for (const name of ORDER) {
    const value = c[name];
    if (value !== undefined) out += `${out === PAYMENT_SCHEME ? ' ' : ', '}${param(name, value)}`;
  }
  for (const name of Object.keys(c)) {
    if (KNOWN.has(name)) continue;
    const value = c[name];
    if (value === undefined) continue;
    if (!isToken(name) || name !== name.toLowerCase()) {
      throw new MppError('bad-request', `Custom challenge parameter "${name}" must be a lower-case token`);
    }
    out += `${out === PAYMENT_SCHEME ? ' ' : ', '}${param(name, value)}`;
  }
  return out;
}

/** `name="value"`, quoted; refuses a value a quoted-string cannot carry. */
function param(name: string, value: string): string {
  const quoted = quoteString(value);
  if (quoted === undefined)
    throw new MppError('bad-request', `Challenge parameter "${name}" cannot be quoted`);
  return `${name}=${quoted}`;
}

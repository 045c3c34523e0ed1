import { base64url } from './base64url.js';
import { MppError } from './errors.js';
import { isJsonObject, type JsonValue, parseJson, stringifyJson } from './json.js';

/** The challenge parameters echoed in a credential (same shape as {@link Challenge}). */
export interface ChallengeEcho {
  id: string;
  realm: string;
  method: string;
  intent: string;
  request: string;
  expires?: string;
  digest?: string;
  description?: string;
  opaque?: string;
  header?: string;
  [member: string]: unknown;
}

/** A decoded Payment credential: `Authorization: Payment <base64url(JSON)>`. */
export interface Credential {
  challenge: ChallengeEcho;
  payload: Record<string, JsonValue>;
  /** Payer identifier, e.g. a DID. Servers must not require it. */
  source?: string;
  [member: string]: unknown;
}

const SCHEME = /^payment[ \t]+/i;
const REQUIRED = ['id', 'realm', 'method', 'intent', 'request'] as const;
const OPTIONAL = ['expires', 'digest', 'description', 'opaque', 'header'] as const;

function malformed(detail: string): MppError {
  return new MppError('malformed-credential', detail);
}

/**
 * Parses a `Payment` credential from an `Authorization` or (-01) `Payment-Authorization` value.
 * The scheme is case-insensitive; the token must be strict base64url of a JSON object with an object
 * `challenge` (string `id`, `realm`, `method`, `intent`, `request`; string optional members) and an
 * object `payload`. Unknown members are kept. Throws `MppError('malformed-credential')`.
 */
export function parseCredential(header: string): Credential {
  if (typeof header !== 'string') throw malformed('Credential is not a string');
  const m = SCHEME.exec(header);
  if (!m) throw malformed('Not a Payment credential');
  const token = header.slice(m[0].length).trim();
  if (token.length === 0) throw malformed('Empty credential');
  let text: string;
  try {
    text = base64url.decodeText(token);
  } catch {
    throw malformed('Credential is not base64url');
  }
  const value = parseJson(text, 'malformed-credential');
  if (!isJsonObject(value)) throw malformed('Credential is not a JSON object');
  const challenge = value.challenge;
  if (!isJsonObject(challenge)) throw malformed('Credential has no challenge object');
  for (const name of REQUIRED) {
    if (typeof challenge[name] !== 'string') throw malformed(`Credential challenge has no string "${name}"`);
  }
  if (challenge.id === '') throw malformed('Credential challenge id is empty');
  for (const name of OPTIONAL) {
    if (challenge[name] !== undefined && typeof challenge[name] !== 'string') {
      throw malformed(`Credential challenge "${name}" is not a string`);
    }
  }
  if (!isJsonObject(value.payload)) throw malformed('Credential has no payload object');
  if (value.source !== undefined && typeof value.source !== 'string')
    throw malformed('Credential source is not a string');
  return value as unknown as Credential;
}

/** Serializes a credential as a header value: `Payment <base64url(JSON)>` (member order kept). */
export function formatCredential(credential: Credential): string {
  return `Payment ${base64url.encode(stringifyJson(credential))}`;
}

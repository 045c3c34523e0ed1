import {
  base64url,
  type Challenge,
  canonicalize,
  parseChallenges,
  parseTimestamp,
} from '@hit-pay/mpp/protocol';
import type { RawResponse } from './http.js';

/**
 * The rules a single Payment challenge must follow (R4–R15), as lists of findings rather than
 * assertions: the live checker reports every broken rule of a server, not the first one.
 */

const PAYMENT_LINE = /^\s*payment(\s|$)/i;
/** Intents registered for the Payment scheme. */
const REGISTERED_INTENTS = new Set(['charge', 'subscription', 'session']);

/** The `WWW-Authenticate` lines that hold a Payment challenge. */
export function paymentLines(res: RawResponse): string[] {
  // A line may hold several challenges, of several schemes; Payment need not come first.
  return res.all('www-authenticate').filter((l) => PAYMENT_LINE.test(l) || /,\s*payment\s/i.test(l));
}

/** Every complete Payment challenge of a response (none when the header is missing or broken). */
export function challengesOf(res: RawResponse): Challenge[] {
  const out: Challenge[] = [];
  for (const line of paymentLines(res)) {
    try {
      out.push(...parseChallenges(line));
    } catch {
      // Reported by the rules below: a Payment line with no complete challenge.
    }
  }
  return out;
}

function decodeObject(value: string, what: string, rule: string, issues: string[]) {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) {
    issues.push(`${what} is not unpadded base64url (${rule})`);
    return undefined;
  }
  let text: string;
  let parsed: unknown;
  try {
    text = base64url.decodeText(value);
    parsed = JSON.parse(text);
  } catch {
    issues.push(`${what} does not decode to JSON (${rule})`);
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    issues.push(`${what} is not a JSON object (${rule})`);
    return undefined;
  }
  if (canonicalize(parsed) !== text) issues.push(`${what} is not JCS-canonical JSON (${rule})`);
  return parsed as Record<string, unknown>;
}

/** R4–R7: id, realm, method and intent. */
export function identityIssues(c: Challenge): string[] {
  const issues: string[] = [];
  if (!c.id) issues.push('empty id (R4)');
  if (typeof c.realm !== 'string') issues.push('no realm (R5)');
  // A hyphen between lower-case words (HitPay's `hitpay-save`) is a warning, see methodNameWarnings.
  if (!/^[a-z]+(-[a-z]+)*$/.test(c.method)) issues.push(`method "${c.method}" is not 1*LOWERALPHA (R6)`);
  if (!/^[A-Za-z0-9-]+$/.test(c.intent) || !REGISTERED_INTENTS.has(c.intent))
    issues.push(`intent "${c.intent}" is not a registered intent (R7)`);
  return issues;
}

/**
 * R6 read strictly: the drafts' grammar is 1*LOWERALPHA, so a hyphenated name works with
 * lenient parsers (every HitPay MPP component) but a strict one may drop the challenge.
 */
export function methodNameWarnings(c: Challenge): string[] {
  return /^[a-z]+$/.test(c.method)
    ? []
    : [
        `method "${c.method}" has a hyphen: outside the drafts' 1*LOWERALPHA, strict clients may skip it (R6)`,
      ];
}

/** R8, R13, R14: `request` is base64url(JCS) of a charge request in minor units. */
export function requestIssues(c: Challenge): string[] {
  const issues: string[] = [];
  const r = decodeObject(c.request, 'request', 'R8', issues);
  if (!r || c.intent !== 'charge') return issues;
  if (typeof r.amount !== 'string') issues.push('request.amount is not a string (R13)');
  else if (!/^(0|[1-9][0-9]*)$/.test(r.amount))
    issues.push(`request.amount "${r.amount}" is not in base units (R14)`);
  if (typeof r.currency !== 'string') issues.push('request.currency is not a string (R13)');
  // Fiat codes are three letters and must be lower-case; other currencies are method-defined.
  else if (/^[A-Za-z]{3}$/.test(r.currency) && r.currency !== r.currency.toLowerCase())
    issues.push(`request.currency "${r.currency}" is not lower-case ISO 4217 (R14)`);
  for (const k of ['recipient', 'description', 'externalId'])
    if (k in r && typeof r[k] !== 'string') issues.push(`request.${k} is not a string (R13)`);
  if ('methodDetails' in r && (typeof r.methodDetails !== 'object' || Array.isArray(r.methodDetails)))
    issues.push('request.methodDetails is not an object (R13)');
  if ('expires' in r) issues.push('the charge request carries its own expires (R13)');
  return issues;
}

/** R9: `opaque`, when present, is base64url(JCS) of an object of strings. */
export function opaqueIssues(c: Challenge): string[] {
  if (c.opaque === undefined) return [];
  const issues: string[] = [];
  const o = decodeObject(c.opaque, 'opaque', 'R9', issues);
  if (o && Object.values(o).some((v) => typeof v !== 'string'))
    issues.push('opaque has non-string values (R9)');
  return issues;
}

/** R10: `expires` is an RFC 3339 date-time after `now`. */
export function expiresIssues(c: Challenge, now: number): string[] {
  if (c.expires === undefined) return ['no expires (R10)'];
  const at = parseTimestamp(c.expires);
  if (at === undefined) return [`expires "${c.expires}" is not RFC 3339 (R10)`];
  if (at <= now) return [`expires ${c.expires} is not in the future (R10)`];
  return [];
}

/** R12: parameter names are lower-case and a challenge line stays under 8 KB. */
export function lineIssues(line: string): string[] {
  const issues: string[] = [];
  if (line.length >= 8192) issues.push(`a challenge line of ${line.length} bytes (over 8 KB, R12)`);
  // Quoted values are blanked first so text inside them is never read as a parameter name.
  const bare = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/(?:^\s*\w+\s+|,\s*)([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=/g)) {
    if (m[1] !== m[1]!.toLowerCase()) issues.push(`parameter "${m[1]}" is not lower-case (R12)`);
  }
  return issues;
}

/** The server's clock at the response (its `Date` header), else ours. */
export function serverNow(res: RawResponse): number {
  const date = Date.parse(res.header('date') ?? '');
  return Number.isNaN(date) ? Date.now() : date;
}

/** Every rule R4–R15 over every challenge of a response. Empty when all hold. */
export function challengeIssues(res: RawResponse): string[] {
  const issues: string[] = [];
  const lines = paymentLines(res);
  for (const line of lines) issues.push(...lineIssues(line));
  const challenges = challengesOf(res);
  if (lines.length > 0 && challenges.length === 0) issues.push('no complete Payment challenge (R4–R8)');
  const now = serverNow(res);
  for (const c of challenges) {
    issues.push(...identityIssues(c), ...requestIssues(c), ...opaqueIssues(c), ...expiresIssues(c, now));
  }
  if (new Set(challenges.map((c) => c.id)).size !== challenges.length)
    issues.push('two challenges share an id (R15)');
  return [...new Set(issues)];
}

import { type Challenge, formatChallenge } from '../protocol/challenge.js';
import { MppError } from '../protocol/errors.js';
import { PROBLEM_JSON } from '../protocol/headers.js';
import type { JsonValue } from '../protocol/json.js';
import type { HeaderEntry, RespondDecision } from './types.js';

/** Extra body members describing one challenge (amounts, checkout links) for agents reading bodies. */
export type ChallengeDetails = Record<string, JsonValue>;

/**
 * Builds a payment error response: the RFC 9457 body, `Cache-Control: no-store`, and — for 402 and
 * 400 answers — every challenge in its own `WWW-Authenticate` field line. A 402 without a challenge
 * is never produced (RFC R2).
 */
export function problemResponse(
  error: MppError,
  challenges: readonly Challenge[],
  details: readonly ChallengeDetails[] = [],
  crossOrigin = false,
): RespondDecision {
  const headers: HeaderEntry[] = [];
  const withChallenges = error.status === 402 || error.status === 400;
  if (error.status === 402 && challenges.length === 0) {
    // Unreachable by construction; refuse to emit a bare 402 rather than break the protocol.
    return problemResponse(new MppError('internal-payment-error', 'No challenge could be issued'), []);
  }
  if (withChallenges) for (const c of challenges) headers.push(['www-authenticate', formatChallenge(c)]);
  headers.push(['cache-control', 'no-store']);
  headers.push(['content-type', PROBLEM_JSON]);
  if (error.retryAfter !== undefined)
    headers.push(['retry-after', String(Math.max(0, Math.ceil(error.retryAfter)))]);
  if (crossOrigin) headers.push(['access-control-expose-headers', withExposed(undefined)]);
  const body =
    withChallenges && challenges.length > 0
      ? challengeProblem(error, challenges, details)
      : JSON.stringify(error.toProblem());
  return { kind: 'respond', status: error.status, headers, body };
}

/** The problem members of a frozen error (the shared plain 402), serialized once. */
const problemHeads = new WeakMap<MppError, string>();

/**
 * The problem body with `challengeId` and a `challenges` summary, written as text around
 * `JSON.stringify` of each value: stringifying the whole object measured as a seventh of a 402.
 */
function challengeProblem(
  error: MppError,
  challenges: readonly Challenge[],
  details: readonly ChallengeDetails[],
): string {
  let head = problemHeads.get(error);
  if (head === undefined) {
    const members = error.toProblem();
    // Written after the head: an extension of the same name must not repeat them (toProblem's rule).
    delete members.challengeId;
    delete members.challenges;
    head = JSON.stringify(members).slice(0, -1);
    if (Object.isFrozen(error)) problemHeads.set(error, head);
  }
  let list = '';
  for (let i = 0; i < challenges.length; i++) {
    const c = challenges[i]!;
    const extra =
      details[i] && Object.keys(details[i]!).length > 0 ? `,${JSON.stringify(details[i]).slice(1)}` : '}';
    list += `${i === 0 ? '' : ','}{"id":${JSON.stringify(c.id)},"method":${JSON.stringify(c.method)},"intent":${JSON.stringify(c.intent)},"expires":${JSON.stringify(c.expires ?? null)}${extra}`;
  }
  return `${head},"challengeId":${JSON.stringify(challenges[0]!.id)},"challenges":[${list}]}`;
}

/** Replaces a 402's problem body with an HTML page (the headers, challenges included, stay). */
export function withHtmlBody(decision: RespondDecision, html: string): RespondDecision {
  const headers = decision.headers.map(
    ([n, v]): HeaderEntry => (n === 'content-type' ? [n, 'text/html; charset=utf-8'] : [n, v]),
  );
  return { ...decision, headers: [...headers, ['vary', 'Accept']], body: html };
}

/** True when the client prefers HTML to JSON (a browser navigation, not an API call). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept?.includes('text/html')) return false;
  const q = (type: string): number => {
    for (const part of accept.split(',')) {
      const [t, ...params] = part.trim().split(';');
      if (t!.trim().toLowerCase() !== type) continue;
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return qp ? Number(qp.slice(2)) || 0 : 1;
    }
    return -1;
  };
  return q('text/html') > 0 && q('text/html') >= q('application/json');
}

/** Headers a browser agent must be able to read (CORS `Access-Control-Expose-Headers`). */
const EXPOSE = ['WWW-Authenticate', 'Payment-Receipt', 'Retry-After'];

/** Merges the payment headers into an `Access-Control-Expose-Headers` value. */
export function withExposed(current: string | undefined): string {
  if (!current) return EXPOSE.join(', ');
  if (current.trim() === '*') return current;
  const have = new Set(current.split(',').map((h) => h.trim().toLowerCase()));
  const add = EXPOSE.filter((h) => !have.has(h.toLowerCase()));
  return add.length ? `${current}, ${add.join(', ')}` : current;
}

/** Appends `private` to a Cache-Control value (receipts must never be shared-cached). */
export function withPrivate(cacheControl: string | undefined): string {
  if (!cacheControl) return 'private';
  if (/(^|,)\s*(private|no-store)\s*(,|$)/i.test(cacheControl)) return cacheControl;
  // `public` and `s-maxage` speak to shared caches, which must not keep a paid response at all.
  const kept = cacheControl
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '' && !/^(public|s-maxage\s*=.*)$/i.test(d));
  return [...kept, 'private'].join(', ');
}

import {
  base64url,
  type Challenge,
  canonicalize,
  computeChallengeId,
  parseChallenges,
  parseTimestamp,
} from '@hit-pay/mpp/protocol';
import { expect } from 'vitest';
import { CONFORMANCE_REALM, CONFORMANCE_SECRET } from './context.js';
import type { RawResponse } from './http-client.js';
import { FAILING_HANDLERS, PROTECTED_ROUTES, type ProtectedRoute, RESOURCE_MARKER } from './routes.js';

/** The Payment challenges of a response, one per `WWW-Authenticate` line that holds any. */
export function challengesOf(res: RawResponse): Challenge[] {
  const out: Challenge[] = [];
  for (const line of res.all('www-authenticate')) {
    if (/^\s*payment\s/i.test(line)) out.push(...parseChallenges(line));
  }
  return out;
}

function decodeObject(value: string, what: string): Record<string, unknown> {
  expect(value, `${what} uses only base64url characters, no padding (R8)`).toMatch(/^[A-Za-z0-9_-]+$/);
  const text = base64url.decodeText(value);
  const parsed: unknown = JSON.parse(text);
  expect(
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed),
    `${what} is an object`,
  ).toBe(true);
  expect(canonicalize(parsed as never), `${what} is JCS-canonical (R8)`).toBe(text);
  return parsed as Record<string, unknown>;
}

/**
 * The well-formedness battery every challenge the suite receives must pass (R4–R15), including the
 * HMAC binding recomputed with the suite's secret.
 */
export function checkChallenges(res: RawResponse, now: number): Challenge[] {
  const lines = res.all('www-authenticate').filter((l) => /^\s*payment\s/i.test(l));
  for (const line of lines) {
    expect(line.length, 'a challenge stays under 8 KB (R12)').toBeLessThan(8192);
    for (const m of line.matchAll(/(?:^\s*Payment\s+|,\s*)([!#$%&'*+.^_`|~0-9A-Za-z-]+)=/gi)) {
      expect(m[1], 'challenge parameter names are lower-case (R12)').toBe(m[1]!.toLowerCase());
    }
  }
  const challenges = challengesOf(res);
  for (const c of challenges) {
    expect(c.id, 'id is non-empty (R4)').not.toBe('');
    expect(computeChallengeId(CONFORMANCE_SECRET, c), 'id is the HMAC of the bound parameters').toBe(c.id);
    expect(c.realm, 'realm (R5)').toBe(CONFORMANCE_REALM);
    expect(c.method, 'method (R6)').toMatch(/^[a-z]+$/);
    expect(c.intent, 'intent (R7)').toBe('charge');
    const request = decodeObject(c.request, 'request');
    expect(typeof request.amount, 'amount is a string (R13)').toBe('string');
    expect(request.amount, 'amount in base units (R14)').toMatch(/^(0|[1-9][0-9]*)$/);
    expect(request.currency, 'currency is lower-case ISO 4217 (R14)').toMatch(/^[a-z]{3}$/);
    expect(request.expires, 'the charge request has no expires member (R13)').toBeUndefined();
    for (const k of ['recipient', 'description', 'externalId'])
      if (k in request) expect(typeof request[k], `${k} is a string (R13)`).toBe('string');
    if (c.opaque !== undefined) {
      const opaque = decodeObject(c.opaque, 'opaque');
      for (const v of Object.values(opaque))
        expect(typeof v, 'opaque values are strings (R9)').toBe('string');
    }
    const expires = c.expires === undefined ? undefined : parseTimestamp(c.expires);
    expect(expires, 'expires is an RFC 3339 date-time (R10)').toBeTypeOf('number');
    expect(expires!, 'expires is in the future (R10, R26)').toBeGreaterThan(now);
  }
  expect(new Set(challenges.map((c) => c.id)).size, 'challenge ids are distinct (R15)').toBe(
    challenges.length,
  );
  return challenges;
}

/** Rules every response must follow, whatever the scenario (R2, R3, R16, R44, R45, R48, R49). */
export function checkInvariants(res: RawResponse, credential: string | undefined): void {
  const cacheControl = res.header('cache-control') ?? '';
  if (res.status === 402) {
    expect(challengesOf(res).length, 'a 402 always carries a Payment challenge (R2)').toBeGreaterThan(0);
    expect(cacheControl, 'a 402 is never stored (R3)').toMatch(/no-store/i);
    expect(res.header('content-type'), 'a 402 is a problem document (R16)').toMatch(
      /^application\/problem\+json/,
    );
  }
  if (res.header('payment-receipt') !== undefined) {
    expect(res.status, 'only 2xx responses carry a receipt (R45)').toBeGreaterThanOrEqual(200);
    expect(res.status, 'only 2xx responses carry a receipt (R45)').toBeLessThan(300);
    expect(cacheControl, 'a receipt is never shared-cached (R44)').toMatch(/private|no-store/i);
  }
  const text = res.lines.map(([n, v]) => `${n}: ${v}`).join('\n') + res.body.toString('latin1');
  expect(text.includes(CONFORMANCE_SECRET), 'the secret never leaks (R49)').toBe(false);
  const token = credential?.replace(/^payment\s+/i, '');
  if (token && token.length >= 16) {
    expect(text.includes(token), 'the credential never shows up in a response (R48)').toBe(false);
  }
}

const ROUTE_PATTERNS = (Object.keys(PROTECTED_ROUTES) as ProtectedRoute[]).map((key) => {
  const [method, path] = key.split(' ') as [string, string];
  return { key, method, pattern: new RegExp(`^${path.replace(/:\w+/g, '[A-Za-z0-9_-]+')}$`) };
});

/**
 * The protected route of the standard app a request target names plainly — only letters, digits,
 * `-`, `_` between single slashes, so no framework could route it anywhere else — or undefined
 * (bypass attempts, mounted routes, free routes). HEAD names its GET route; the query is ignored.
 */
export function protectedRouteOf(method: string, target: string): ProtectedRoute | undefined {
  const path = target.split('?', 1)[0]!;
  if (!/^(\/[A-Za-z0-9_-]+)+$/.test(path)) return undefined;
  const wanted = method === 'HEAD' ? 'GET' : method;
  return ROUTE_PATTERNS.find((r) => r.method === wanted && r.pattern.test(path))?.key;
}

/** The request side of a response, for {@link checkResourceBoundary}. */
export interface Exchange {
  readonly method: string;
  /** The raw request target. */
  readonly path: string;
  /** How many times the named route's handler ran while this step was answered. */
  readonly handlerRuns: number;
}

/**
 * R46: a failure never returns any part of the protected resource. The standard app's handlers
 * mark their resource with {@link RESOURCE_MARKER}, so:
 * - no 4xx/5xx carries the marker, in a header or the body (a gate that let the handler run and
 *   then answered 402 over its output, or appended a problem to partial content, is caught);
 * - a 4xx/5xx of a protected route that its handler did not answer itself — no handler run, or a
 *   route whose handler only ever succeeds — is a problem document stating its status (a 402 may
 *   instead be the paywall's HTML page), never the framework's or the handler's own output;
 * - a 2xx with a body from a protected route does carry the marker, so the checks above are never
 *   vacuous (a fixture that forgot it fails here).
 */
export function checkResourceBoundary(res: RawResponse, exchange: Exchange): void {
  const route = protectedRouteOf(exchange.method, exchange.path);
  const body = res.body.toString('latin1');
  if (res.status >= 400) {
    const text = res.lines.map(([n, v]) => `${n}: ${v}`).join('\n') + body;
    expect(text.includes(RESOURCE_MARKER), 'a failure carries no part of the protected resource (R46)').toBe(
      false,
    );
    const answeredByHandler =
      exchange.handlerRuns > 0 && route !== undefined && FAILING_HANDLERS.includes(route);
    if (route === undefined || answeredByHandler) return;
    const type = res.header('content-type') ?? '';
    if (res.status === 402 && /^text\/html/i.test(type)) return;
    expect(type, 'a refusal of a protected route is a problem document (R46)').toMatch(
      /^application\/problem\+json/i,
    );
    if (exchange.method === 'HEAD') return;
    let problem: unknown;
    try {
      problem = JSON.parse(res.body.toString('utf8'));
    } catch {
      problem = undefined;
    }
    expect(problem, 'a refusal body is a problem document, not partial content (R46)').toMatchObject({
      type: expect.any(String),
      status: res.status,
    });
  } else if (
    res.status >= 200 &&
    res.status < 300 &&
    res.status !== 204 &&
    route &&
    exchange.method !== 'HEAD'
  ) {
    expect(body, `the ${route} resource carries the fixture's marker (R46 relies on it)`).toContain(
      RESOURCE_MARKER,
    );
  }
}

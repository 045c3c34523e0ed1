import type { Price } from '@hit-pay/mpp';

const one: Price = { amount: '1.00', currency: 'SGD' };
const order: Price = { amount: '5.00', currency: 'SGD' };

/**
 * The string every protected handler puts in its successful answer (a `resource` member of JSON
 * bodies, the tail of text bodies), so the suite can tell the protected resource from a refusal:
 * no 4xx/5xx may carry it (R46). Handlers' own failure answers (`failed`, `flaky`, a policy
 * denial) never contain it.
 */
export const RESOURCE_MARKER = 'paid-resource-7d1f';

/**
 * The header `GET /account/:id` authenticates with, and the one key it accepts. Not
 * `Authorization`: the Payment credential travels there (unless the -01 `Payment-Authorization`
 * header is in use), and a request cannot carry two credentials in it, so an app that needs both
 * authentication and payment authenticates with its own header (or a cookie).
 */
export const API_KEY_HEADER = 'X-Api-Key';
/** The valid value of {@link API_KEY_HEADER}; anything else (or nothing) is refused with 401. */
export const API_KEY = 'good';

/** A refusal the standard app itself answers (not the payment layer): status, headers, body. */
export interface AppRefusal {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** An RFC 9457 problem document, serialized. */
  readonly body: string;
}

const APP_PROBLEM_BASE = 'https://conformance.example/problems/';

/**
 * The standard app's own refusals, each a problem document (so every failure of a protected route
 * is one, whoever answers it — see the R46 check):
 * - `unauthenticated` — 401, with a `WWW-Authenticate: ApiKey` challenge (RFC 9110 requires one on
 *   a 401) and never a Payment one (R18).
 * - `policy-denied` — 403, after payment (R39).
 */
export const APP_REFUSALS = {
  unauthenticated: refusal(401, 'unauthenticated', 'Unauthenticated', {
    'www-authenticate': `ApiKey header="${API_KEY_HEADER}"`,
  }),
  'policy-denied': refusal(403, 'policy-denied', 'Denied by policy'),
} as const satisfies Record<string, AppRefusal>;

function refusal(
  status: number,
  type: string,
  title: string,
  extra: Record<string, string> = {},
): AppRefusal {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...extra },
    body: JSON.stringify({ type: `${APP_PROBLEM_BASE}${type}`, title, status }),
  };
}

/** Whether a request's {@link API_KEY_HEADER} value authenticates it (exactly one, valid). */
export function isAuthenticated(value: string | readonly string[] | null | undefined): boolean {
  return value === API_KEY;
}

/**
 * The protected routes of the standard fixture app, keyed `METHOD /path` (Express-style params).
 * Every adapter's fixture serves exactly these paths, priced exactly so; the vectors refer to them
 * by key (handler-run counts) and by path.
 *
 * What each handler answers (the vectors assert it). `M` is {@link RESOURCE_MARKER}: every JSON
 * success body also has `resource: M`, every text one ends with ` M`.
 * - `GET /paid/:id` — 200 JSON `{ id, amount, currency, method, reference, resource }` from the
 *   verified payment, with `Cache-Control: public, max-age=60`, `X-Request-Id: req-<id>` and
 *   `Access-Control-Expose-Headers: X-Request-Id` (so the suite sees the engine extend, not replace,
 *   the handler's own headers).
 * - `GET /cheap` — 200 JSON `{ cheap: true, resource }`.
 * - `POST /orders` — 201 JSON `{ order: <the body as parsed by the app's own JSON parser>, resource }`;
 *   `PUT` / `PATCH /orders/:id` — 200 JSON `{ id, order: <parsed body>, resource }`.
 * - `GET /style/json` — 200 JSON `{ style: 'json', resource }` through the framework's JSON helper.
 * - `GET /style/send` — 200 text `send M` through the framework's send helper.
 * - `GET /style/end` — 200 text `end M` written the rawest way the framework allows.
 * - `GET /style/stream` — 200 text `stream M`, streamed in two chunks (`str`, `eam M`).
 * - `GET /style/redirect` — 302 to `/free`.
 * - `GET /status/304` — 304, no body.
 * - `GET /fail/500` — 500 text `failed`.
 * - `GET /fail/throw` — the handler throws; the framework answers 500 its own way.
 * - `GET /fail/flaky` — 500 text `flaky` on its first run, then 200 JSON `{ flaky: 'recovered', resource }`.
 * - `GET /account/:id` — needs authentication AND payment (R18). The app's own authentication step
 *   runs BEFORE the payment gate, the framework's idiomatic way (a middleware ahead of the gate, a
 *   Fastify `onRequest` hook, a Nest guard that runs before `MppGuard`, a wrapper around the Fetch
 *   handler): without `X-Api-Key: good` ({@link API_KEY_HEADER}, {@link API_KEY}) it answers
 *   {@link APP_REFUSALS} `unauthenticated`, the engine never sees the request (no challenge, no
 *   verification, a credential it carries is left unspent). Authenticated, the handler answers 200
 *   JSON `{ account: id, resource }`.
 * - `GET /policy/denied` — the handler (after payment) denies by policy: {@link APP_REFUSALS}
 *   `policy-denied` (R39). The payment is released.
 * - `GET /policy/guarded` — a policy step after the payment gate and before the handler (route
 *   middleware behind the gate, a Fastify `preHandler`, a Nest guard after `MppGuard`, a check inside
 *   the protected Fetch handler) answers `policy-denied` without calling the handler (R39); the
 *   handler, never reached, would answer 200 JSON `{ guarded: true, resource }`.
 */
export const PROTECTED_ROUTES = {
  'GET /paid/:id': { amount: '10.00', currency: 'SGD', description: 'Paid resource' },
  'GET /cheap': { amount: '0.01', currency: 'SGD' },
  'POST /orders': order,
  'PUT /orders/:id': order,
  'PATCH /orders/:id': order,
  'GET /style/json': one,
  'GET /style/send': one,
  'GET /style/end': one,
  'GET /style/stream': one,
  'GET /style/redirect': one,
  'GET /status/304': one,
  'GET /fail/500': one,
  'GET /fail/throw': one,
  'GET /fail/flaky': one,
  'GET /account/:id': { amount: '2.00', currency: 'SGD', description: 'Account' },
  'GET /policy/denied': one,
  'GET /policy/guarded': one,
} as const satisfies Record<string, Price>;

/**
 * The unprotected routes: `GET /free` answers 200 JSON `{ free: true }`; `POST /free/echo`
 * answers 200 JSON `{ echo: <the body as parsed by the app> }`. Neither sets Cache-Control.
 */
export const FREE_ROUTES = ['GET /free', 'POST /free/echo'] as const;

/** A protected route of the standard app. */
export type ProtectedRoute = keyof typeof PROTECTED_ROUTES;
/** Any route of the standard app (the keys handler-run counters use). */
export type RouteKey = ProtectedRoute | (typeof FREE_ROUTES)[number];

/**
 * The protected routes whose handler answers a failure itself (their 4xx/5xx after a handler run is
 * the app's, not the payment layer's).
 */
export const FAILING_HANDLERS: readonly ProtectedRoute[] = [
  'GET /fail/500',
  'GET /fail/throw',
  'GET /fail/flaky',
  'GET /policy/denied',
];

/** The runs of `GET /fail/flaky` that answer 500 before it recovers. */
export const FLAKY_FAILURES = 1;

/** The route keys, protected first. */
export const ROUTE_KEYS: readonly RouteKey[] = [
  ...(Object.keys(PROTECTED_ROUTES) as ProtectedRoute[]),
  ...FREE_ROUTES,
];

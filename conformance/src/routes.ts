import type { Price } from '@hit-pay/mpp';

const one: Price = { amount: '1.00', currency: 'SGD' };
const order: Price = { amount: '5.00', currency: 'SGD' };

/**
 * The protected routes of the standard fixture app, keyed `METHOD /path` (Express-style params).
 * Every adapter's fixture serves exactly these paths, priced exactly so; the vectors refer to them
 * by key (handler-run counts) and by path.
 *
 * What each handler answers (the vectors assert it):
 * - `GET /paid/:id` — 200 JSON `{ id, amount, currency, method, reference }` from the verified
 *   payment, with `Cache-Control: public, max-age=60`, `X-Request-Id: req-<id>` and
 *   `Access-Control-Expose-Headers: X-Request-Id` (so the suite sees the engine extend, not replace,
 *   the handler's own headers).
 * - `GET /cheap` — 200 JSON `{ cheap: true }`.
 * - `POST /orders` — 201 JSON `{ order: <the body as parsed by the app's own JSON parser> }`;
 *   `PUT` / `PATCH /orders/:id` — 200 JSON `{ id, order: <parsed body> }`.
 * - `GET /style/json` — 200 JSON `{ style: 'json' }` through the framework's JSON helper.
 * - `GET /style/send` — 200 text `send` through the framework's send helper.
 * - `GET /style/end` — 200 text `end` written the rawest way the framework allows.
 * - `GET /style/stream` — 200 text `stream`, streamed in two chunks (`str`, `eam`).
 * - `GET /style/redirect` — 302 to `/free`.
 * - `GET /status/304` — 304, no body.
 * - `GET /fail/500` — 500 text `failed`.
 * - `GET /fail/throw` — the handler throws; the framework answers 500 its own way.
 * - `GET /fail/flaky` — 500 on its first run, then 200 JSON `{ flaky: 'recovered' }`.
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

/** The runs of `GET /fail/flaky` that answer 500 before it recovers. */
export const FLAKY_FAILURES = 1;

/** The route keys, protected first. */
export const ROUTE_KEYS: readonly RouteKey[] = [
  ...(Object.keys(PROTECTED_ROUTES) as ProtectedRoute[]),
  ...FREE_ROUTES,
];

/**
 * The Fetch API (core's `mpp.protect`) under the conformance suite, twice: behind a plain Node
 * wrapper with a hand-written router, and inside a Hono app.
 */

import type { Payment } from '@hit-pay/mpp';
import { getRequestListener, RequestError } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import {
  API_KEY_HEADER,
  APP_REFUSALS,
  type AppRefusal,
  defineConformanceSuite,
  type FixtureContext,
  FLAKY_FAILURES,
  isAuthenticated,
  RESOURCE_MARKER as M,
  type ProtectedRoute,
} from './index.js';

type Params = Record<string, string>;
type Handler = (request: Request, params: Params) => Response | Promise<Response>;
type PaidHandler = (
  request: Request,
  ctx: { params: Params; payment: Payment; run: number },
) => Response | Promise<Response>;

const text = (body: string, status = 200) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain' } });
const refuse = (r: AppRefusal) => new Response(r.body, { status: r.status, headers: r.headers });

/** The standard app's handlers in Fetch style, each protected with its route-table price. */
function standardHandlers(ctx: FixtureContext): Record<string, Handler> {
  // `policy` runs inside the protected handler, after payment and before the route's handler.
  const paid = (
    key: ProtectedRoute,
    handler: PaidHandler,
    policy?: (request: Request) => Response | undefined,
  ): Handler => {
    const protectedHandler = ctx.mpp.protect<{ params: Params }>(
      ctx.routes[key],
      (request, c) => policy?.(request) ?? handler(request, { ...c, run: ctx.ran(key) }),
    );
    return (request, params) => protectedHandler(request, { params });
  };
  // Authentication wraps the protected handler, so it answers before the payment gate is reached.
  const authenticated =
    (handler: Handler): Handler =>
    (request, params) =>
      isAuthenticated(request.headers.get(API_KEY_HEADER))
        ? handler(request, params)
        : refuse(APP_REFUSALS.unauthenticated);
  const order = (key: ProtectedRoute, status: number) =>
    paid(key, async (request, { params }) =>
      Response.json(
        { ...(params.id ? { id: params.id } : {}), order: await request.json(), resource: M },
        { status },
      ),
    );
  const encode = (s: string) => new TextEncoder().encode(s);
  return {
    'GET /paid/:id': paid('GET /paid/:id', (_, { params, payment }) =>
      Response.json(
        { id: params.id, ...pick(payment), resource: M },
        {
          headers: {
            'cache-control': 'public, max-age=60',
            'x-request-id': `req-${params.id}`,
            'access-control-expose-headers': 'X-Request-Id',
          },
        },
      ),
    ),
    'GET /cheap': paid('GET /cheap', () => Response.json({ cheap: true, resource: M })),
    'POST /orders': order('POST /orders', 201),
    'PUT /orders/:id': order('PUT /orders/:id', 200),
    'PATCH /orders/:id': order('PATCH /orders/:id', 200),
    'GET /style/json': paid('GET /style/json', () => Response.json({ style: 'json', resource: M })),
    'GET /style/send': paid('GET /style/send', () => text(`send ${M}`)),
    'GET /style/end': paid('GET /style/end', () => new Response(encode(`end ${M}`))),
    'GET /style/stream': paid(
      'GET /style/stream',
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(encode('str'));
              controller.enqueue(encode(`eam ${M}`));
              controller.close();
            },
          }),
        ),
    ),
    // Response.redirect has immutable headers: core must copy it to add its own.
    'GET /style/redirect': paid('GET /style/redirect', (request) =>
      Response.redirect(new URL('/free', request.url), 302),
    ),
    'GET /status/304': paid('GET /status/304', () => new Response(null, { status: 304 })),
    'GET /fail/500': paid('GET /fail/500', () => text('failed', 500)),
    'GET /fail/throw': paid('GET /fail/throw', () => {
      throw new Error('handler failed');
    }),
    'GET /fail/flaky': paid('GET /fail/flaky', (_, { run }) =>
      run > FLAKY_FAILURES ? Response.json({ flaky: 'recovered', resource: M }) : text('flaky', 500),
    ),
    'GET /account/:id': authenticated(
      paid('GET /account/:id', (_, { params }) => Response.json({ account: params.id, resource: M })),
    ),
    'GET /policy/denied': paid('GET /policy/denied', () => refuse(APP_REFUSALS['policy-denied'])),
    'GET /policy/guarded': paid(
      'GET /policy/guarded',
      () => Response.json({ guarded: true, resource: M }),
      () => refuse(APP_REFUSALS['policy-denied']),
    ),
    'GET /free': () => {
      ctx.ran('GET /free');
      return Response.json({ free: true });
    },
    'POST /free/echo': async (request) => {
      ctx.ran('POST /free/echo');
      return Response.json({ echo: await request.json() });
    },
  };
}

function pick(p: Payment) {
  return { amount: p.amount, currency: p.currency, method: p.method, reference: p.reference };
}

/** A minimal router: `METHOD /path/:param` keys, exact segments. */
function route(handlers: Record<string, Handler>) {
  const table = Object.entries(handlers).map(([key, handler]) => {
    const [method, path] = key.split(' ') as [string, string];
    const pattern = new RegExp(`^${path.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`);
    return { method, pattern, handler };
  });
  return (request: Request): Response | Promise<Response> => {
    const { pathname } = new URL(request.url);
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    for (const r of table) {
      const m = r.method === method ? r.pattern.exec(pathname) : null;
      if (m) return r.handler(request, { ...m.groups });
    }
    return text('not found', 404);
  };
}

function withCors(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set('access-control-allow-origin', '*');
  return new Response(response.body, { status: response.status, headers });
}

/** Keep the global Request/Response; answer malformed requests 400 and handler errors 500, quietly. */
const quiet = {
  overrideGlobalObjects: false,
  errorHandler: (e: unknown) =>
    e instanceof RequestError ? text('Bad Request', 400) : text('Internal Server Error', 500),
};

defineConformanceSuite({
  name: 'fetch',
  build(ctx) {
    const router = route(standardHandlers(ctx));
    return getRequestListener(async (request) => {
      if (request.method === 'OPTIONS') return withCors(new Response(null, { status: 204 }));
      return withCors((await ctx.mpp.handle(request)) ?? (await router(request)));
    }, quiet);
  },
});

defineConformanceSuite({
  name: 'fetch-in-hono',
  build(ctx) {
    const handlers = standardHandlers(ctx);
    const app = new Hono();
    app.use(cors());
    app.use(async (c, next) => {
      const mounted = await ctx.mpp.handle(c.req.raw);
      if (mounted) return mounted;
      await next();
    });
    for (const [key, handler] of Object.entries(handlers)) {
      const [method, path] = key.split(' ') as [string, string];
      // The standard handlers take `{ params }`; Hono's own context works too (hono-context.test.ts).
      app.on(method, path, (c) => handler(c.req.raw, c.req.param()));
    }
    app.onError(() => text('Internal Server Error', 500));
    return getRequestListener(app.fetch, quiet);
  },
});

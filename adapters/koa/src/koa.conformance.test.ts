/**
 * The standard fixture app on Koa, run through the shared conformance suite twice: protected by the
 * middleware's route map, and by `protect()` on @koa/router routes.
 */
import { Readable } from 'node:stream';
import type { Payment } from '@hit-pay/mpp';
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
} from '@hit-pay/mpp-conformance';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import { mppKoa } from './index.js';

const pick = (p: Payment | undefined) => ({
  amount: p?.amount,
  currency: p?.currency,
  method: p?.method,
  reference: p?.reference,
});

const refuse = (c: Koa.Context, r: AppRefusal) => {
  c.status = r.status;
  c.set(r.headers);
  c.body = r.body;
};

/** The app's own authentication: `X-Api-Key`, as `Authorization` carries the Payment credential. */
const requireApiKey: Middleware = async (c, next) => {
  if (isAuthenticated(c.get(API_KEY_HEADER))) await next();
  else refuse(c, APP_REFUSALS.unauthenticated);
};

/** An authorization policy that runs after payment and denies. */
const denyByPolicy: Middleware = (c) => {
  refuse(c, APP_REFUSALS['policy-denied']);
};

function buildApp(ctx: FixtureContext) {
  const routeMap = ctx.variant === 'route-map';
  const app = new Koa();
  app.silent = true;
  // The app's own CORS, registered before the payment middleware (see README caveats).
  app.use(async (c, next) => {
    c.set('access-control-allow-origin', '*');
    if (c.method !== 'OPTIONS') return next();
    c.set('access-control-allow-methods', 'GET, POST, PUT, PATCH');
    c.set('access-control-allow-headers', c.get('access-control-request-headers'));
    c.status = 204;
  });
  const mpp = mppKoa(routeMap ? { mpp: ctx.mpp, routes: ctx.routes } : { mpp: ctx.mpp });
  // Authentication before payment (R18): with the route map the gate is app-level, so the app's
  // authentication is too, registered ahead of it; on the router it is route middleware before the gate.
  if (routeMap) app.use((c, next) => (c.path.startsWith('/account/') ? requireApiKey(c, next) : next()));
  app.use(mpp);
  app.use(bodyParser());
  const router = new Router();
  // `before` runs ahead of the gate (router variant only), `after` between the gate and the handler.
  const on = (
    key: ProtectedRoute,
    handler: (c: Koa.Context, run: number) => unknown,
    { before = [], after = [] }: { before?: Middleware[]; after?: Middleware[] } = {},
  ) => {
    const [method, path] = key.split(' ') as [string, string];
    const gate: Middleware[] = routeMap ? [] : [...before, mpp.protect(ctx.routes[key])];
    router.register(path, [method], [
      ...gate,
      ...after,
      async (c: Koa.Context) => {
        await handler(c, ctx.ran(key));
      },
    ] as Middleware[]);
  };

  on('GET /paid/:id', (c) => {
    c.set({
      'cache-control': 'public, max-age=60',
      'x-request-id': `req-${c.params.id}`,
      'access-control-expose-headers': 'X-Request-Id',
    });
    c.body = { id: c.params.id, ...pick(c.state.mpp), resource: M };
  });
  on('GET /cheap', (c) => {
    c.body = { cheap: true, resource: M };
  });
  on('POST /orders', (c) => {
    c.status = 201;
    c.body = { order: c.request.body, resource: M };
  });
  for (const key of ['PUT /orders/:id', 'PATCH /orders/:id'] as const) {
    on(key, (c) => {
      c.body = { id: c.params.id, order: c.request.body, resource: M };
    });
  }
  on('GET /style/json', (c) => {
    c.body = { style: 'json', resource: M };
  });
  on('GET /style/send', (c) => {
    c.body = `send ${M}`;
  });
  on('GET /style/end', (c) => {
    // Koa's escape hatch: the handler writes the Node response itself.
    c.respond = false;
    c.res.statusCode = 200;
    c.res.end(`end ${M}`);
  });
  on('GET /style/stream', (c) => {
    c.body = Readable.from(['str', `eam ${M}`]);
  });
  on('GET /style/redirect', (c) => {
    c.status = 302;
    c.redirect('/free');
  });
  on('GET /status/304', (c) => {
    c.status = 304;
  });
  on('GET /fail/500', (c) => {
    c.status = 500;
    c.body = 'failed';
  });
  on('GET /fail/throw', () => {
    throw new Error('handler failed');
  });
  on('GET /fail/flaky', (c, run) => {
    if (run > FLAKY_FAILURES) c.body = { flaky: 'recovered', resource: M };
    else {
      c.status = 500;
      c.body = 'flaky';
    }
  });
  on(
    'GET /account/:id',
    (c) => {
      c.body = { account: c.params.id, resource: M };
    },
    { before: [requireApiKey] },
  );
  on('GET /policy/denied', (c) => {
    refuse(c, APP_REFUSALS['policy-denied']);
  });
  on(
    'GET /policy/guarded',
    (c) => {
      c.body = { guarded: true, resource: M };
    },
    { after: [denyByPolicy] },
  );
  router.get('/free', (c) => {
    ctx.ran('GET /free');
    c.body = { free: true };
  });
  router.post('/free/echo', (c) => {
    ctx.ran('POST /free/echo');
    c.body = { echo: c.request.body };
  });
  app.use(router.routes());
  return app.callback();
}

defineConformanceSuite({ name: 'koa', variants: ['route-map', 'router'], build: buildApp });

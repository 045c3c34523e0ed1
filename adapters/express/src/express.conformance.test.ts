/**
 * The standard fixture app on Express, run through the shared conformance suite twice: protected
 * by the middleware's route map, and by `protect()` route middleware.
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
import express, { type RequestHandler } from 'express';
import { mppExpress } from './index.js';

const pick = (p: Payment | undefined) => ({
  amount: p?.amount,
  currency: p?.currency,
  method: p?.method,
  reference: p?.reference,
});

const refuse = (res: express.Response, r: AppRefusal) => {
  res.status(r.status).set(r.headers).send(r.body);
};

/** The app's own authentication: `X-Api-Key`, as `Authorization` carries the Payment credential. */
const requireApiKey: RequestHandler = (req, res, next) => {
  if (isAuthenticated(req.get(API_KEY_HEADER))) next();
  else refuse(res, APP_REFUSALS.unauthenticated);
};

/** An authorization policy that runs after payment and denies. */
const denyByPolicy: RequestHandler = (_req, res) => {
  refuse(res, APP_REFUSALS['policy-denied']);
};

function buildApp(ctx: FixtureContext): express.Express {
  const routeMap = ctx.variant === 'route-map';
  const app = express();
  // The app's own CORS, registered before the payment middleware (see README caveats).
  app.use((req, res, next) => {
    res.setHeader('access-control-allow-origin', '*');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH');
    res.setHeader('access-control-allow-headers', req.get('access-control-request-headers') ?? '');
    res.status(204).end();
  });
  const mpp = mppExpress(routeMap ? { mpp: ctx.mpp, routes: ctx.routes } : { mpp: ctx.mpp });
  // Authentication before payment (R18): with the route map the gate is app-level, so the app's
  // authentication is too, mounted ahead of it; with protect() it is route middleware before the gate.
  if (routeMap) app.use('/account', requireApiKey);
  app.use(mpp);
  // With route middleware the body parser runs first, so it keeps the raw bytes for the digest.
  app.use(
    express.json(
      routeMap
        ? {}
        : {
            verify: (req, _res, buf) => {
              (req as { rawBody?: Buffer }).rawBody = buf;
            },
          },
    ),
  );
  const gate = (key: ProtectedRoute): RequestHandler[] => (routeMap ? [] : [mpp.protect(ctx.routes[key])]);
  // `before` runs ahead of the gate (protect() only), `after` between the gate and the handler.
  const on = (
    key: ProtectedRoute,
    handler: RequestHandler,
    { before = [], after = [] }: { before?: RequestHandler[]; after?: RequestHandler[] } = {},
  ) => {
    const [method, path] = key.split(' ') as [string, string];
    const counted: RequestHandler = (req, res, next) => {
      res.locals.run = ctx.ran(key);
      return handler(req, res, next);
    };
    app[method.toLowerCase() as 'get'](path, ...(routeMap ? [] : before), ...gate(key), ...after, counted);
  };

  on('GET /paid/:id', (req, res) => {
    res.set({
      'cache-control': 'public, max-age=60',
      'x-request-id': `req-${req.params.id}`,
      'access-control-expose-headers': 'X-Request-Id',
    });
    res.json({ id: req.params.id, ...pick(req.mpp), resource: M });
  });
  on('GET /cheap', (_req, res) => {
    res.json({ cheap: true, resource: M });
  });
  on('POST /orders', (req, res) => {
    res.status(201).json({ order: req.body, resource: M });
  });
  for (const key of ['PUT /orders/:id', 'PATCH /orders/:id'] as const) {
    on(key, (req, res) => {
      res.json({ id: req.params.id, order: req.body, resource: M });
    });
  }
  on('GET /style/json', (_req, res) => {
    res.json({ style: 'json', resource: M });
  });
  on('GET /style/send', (_req, res) => {
    res.send(`send ${M}`);
  });
  on('GET /style/end', (_req, res) => {
    res.end(`end ${M}`);
  });
  on('GET /style/stream', (_req, res) => {
    Readable.from(['str', `eam ${M}`]).pipe(res);
  });
  on('GET /style/redirect', (_req, res) => {
    res.redirect(302, '/free');
  });
  on('GET /status/304', (_req, res) => {
    res.status(304).end();
  });
  on('GET /fail/500', (_req, res) => {
    res.status(500).send('failed');
  });
  on('GET /fail/throw', () => {
    throw new Error('handler failed');
  });
  on('GET /fail/flaky', (_req, res) => {
    if (res.locals.run > FLAKY_FAILURES) res.json({ flaky: 'recovered', resource: M });
    else res.status(500).send('flaky');
  });
  on(
    'GET /account/:id',
    (req, res) => {
      res.json({ account: req.params.id, resource: M });
    },
    { before: [requireApiKey] },
  );
  on('GET /policy/denied', (_req, res) => {
    refuse(res, APP_REFUSALS['policy-denied']);
  });
  on(
    'GET /policy/guarded',
    (_req, res) => {
      res.json({ guarded: true, resource: M });
    },
    { after: [denyByPolicy] },
  );
  app.get('/free', (_req, res) => {
    ctx.ran('GET /free');
    res.json({ free: true });
  });
  app.post('/free/echo', (req, res) => {
    ctx.ran('POST /free/echo');
    res.json({ echo: req.body });
  });
  // Keep thrown errors out of the test output; Express still answers 500.
  app.use(((_err, _req, res, _next) => {
    res.status(500).send('Internal Server Error');
  }) as express.ErrorRequestHandler);
  return app;
}

defineConformanceSuite({ name: 'express', variants: ['route-map', 'protect'], build: buildApp });

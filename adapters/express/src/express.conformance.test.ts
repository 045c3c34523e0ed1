/**
 * The standard fixture app on Express, run through the shared conformance suite twice: protected
 * by the middleware's route map, and by `protect()` route middleware.
 */
import { Readable } from 'node:stream';
import type { Payment } from '@hit-pay/mpp';
import {
  defineConformanceSuite,
  type FixtureContext,
  FLAKY_FAILURES,
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
  const on = (key: ProtectedRoute, handler: RequestHandler) => {
    const [method, path] = key.split(' ') as [string, string];
    const counted: RequestHandler = (req, res, next) => {
      res.locals.run = ctx.ran(key);
      return handler(req, res, next);
    };
    app[method.toLowerCase() as 'get'](path, ...gate(key), counted);
  };

  on('GET /paid/:id', (req, res) => {
    res.set({
      'cache-control': 'public, max-age=60',
      'x-request-id': `req-${req.params.id}`,
      'access-control-expose-headers': 'X-Request-Id',
    });
    res.json({ id: req.params.id, ...pick(req.mpp) });
  });
  on('GET /cheap', (_req, res) => {
    res.json({ cheap: true });
  });
  on('POST /orders', (req, res) => {
    res.status(201).json({ order: req.body });
  });
  for (const key of ['PUT /orders/:id', 'PATCH /orders/:id'] as const) {
    on(key, (req, res) => {
      res.json({ id: req.params.id, order: req.body });
    });
  }
  on('GET /style/json', (_req, res) => {
    res.json({ style: 'json' });
  });
  on('GET /style/send', (_req, res) => {
    res.send('send');
  });
  on('GET /style/end', (_req, res) => {
    res.end('end');
  });
  on('GET /style/stream', (_req, res) => {
    Readable.from(['str', 'eam']).pipe(res);
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
    if (res.locals.run > FLAKY_FAILURES) res.json({ flaky: 'recovered' });
    else res.status(500).send('flaky');
  });
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

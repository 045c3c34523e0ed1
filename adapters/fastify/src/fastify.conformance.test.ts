/** The standard fixture app on Fastify (routes opt in with `config.mpp`), under the shared suite. */
import { Readable } from 'node:stream';
import type { Payment } from '@hit-pay/mpp';
import {
  defineConformanceSuite,
  type FixtureContext,
  FLAKY_FAILURES,
  type ProtectedRoute,
} from '@hit-pay/mpp-conformance';
import Fastify from 'fastify';
import { mppPlugin } from './index.js';

const pick = (p: Payment | null) => ({
  amount: p?.amount,
  currency: p?.currency,
  method: p?.method,
  reference: p?.reference,
});

async function buildApp(ctx: FixtureContext) {
  const app = Fastify({ logger: false });
  // The app's own CORS, in the first hook of the lifecycle.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    if (request.method !== 'OPTIONS') return;
    reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH');
    reply.header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? '');
    return reply.code(204).send();
  });
  await app.register(mppPlugin, { mpp: ctx.mpp });
  const paid = (key: ProtectedRoute) => ({ config: { mpp: ctx.routes[key] } });
  const run = (key: ProtectedRoute) => ctx.ran(key);

  app.get<{ Params: { id: string } }>('/paid/:id', paid('GET /paid/:id'), async (request, reply) => {
    run('GET /paid/:id');
    reply.headers({
      'cache-control': 'public, max-age=60',
      'x-request-id': `req-${request.params.id}`,
      'access-control-expose-headers': 'X-Request-Id',
    });
    return { id: request.params.id, ...pick(request.mpp) };
  });
  app.get('/cheap', paid('GET /cheap'), async () => {
    run('GET /cheap');
    return { cheap: true };
  });
  app.post('/orders', paid('POST /orders'), async (request, reply) => {
    run('POST /orders');
    return reply.code(201).send({ order: request.body });
  });
  for (const key of ['PUT /orders/:id', 'PATCH /orders/:id'] as const) {
    app.route<{ Params: { id: string } }>({
      method: key.split(' ')[0]!,
      url: '/orders/:id',
      ...paid(key),
      handler: async (request) => {
        run(key);
        return { id: request.params.id, order: request.body };
      },
    });
  }
  app.get('/style/json', paid('GET /style/json'), async () => {
    run('GET /style/json');
    return { style: 'json' };
  });
  app.get('/style/send', paid('GET /style/send'), async (_request, reply) => {
    run('GET /style/send');
    return reply.send('send');
  });
  app.get('/style/end', paid('GET /style/end'), (_request, reply) => {
    run('GET /style/end');
    // The rawest answer Fastify allows: take the response away from it and write it directly.
    reply.hijack();
    reply.raw.end('end');
  });
  app.get('/style/stream', paid('GET /style/stream'), async (_request, reply) => {
    run('GET /style/stream');
    return reply.send(Readable.from(['str', 'eam']));
  });
  app.get('/style/redirect', paid('GET /style/redirect'), async (_request, reply) => {
    run('GET /style/redirect');
    return reply.redirect('/free', 302);
  });
  app.get('/status/304', paid('GET /status/304'), async (_request, reply) => {
    run('GET /status/304');
    return reply.code(304).send();
  });
  app.get('/fail/500', paid('GET /fail/500'), async (_request, reply) => {
    run('GET /fail/500');
    return reply.code(500).send('failed');
  });
  app.get('/fail/throw', paid('GET /fail/throw'), async () => {
    run('GET /fail/throw');
    throw new Error('handler failed');
  });
  app.get('/fail/flaky', paid('GET /fail/flaky'), async (_request, reply) => {
    if (run('GET /fail/flaky') > FLAKY_FAILURES) return { flaky: 'recovered' };
    return reply.code(500).send('flaky');
  });
  app.get('/free', async () => {
    ctx.ran('GET /free');
    return { free: true };
  });
  app.post('/free/echo', async (request) => {
    ctx.ran('POST /free/echo');
    return { echo: request.body };
  });
  await app.ready();
  return { server: app.server, close: () => app.close() };
}

defineConformanceSuite({ name: 'fastify', build: buildApp });

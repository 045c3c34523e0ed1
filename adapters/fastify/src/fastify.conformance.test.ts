/** The standard fixture app on Fastify (routes opt in with `config.mpp`), under the shared suite. */
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
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { mppPlugin } from './index.js';

const pick = (p: Payment | null) => ({
  amount: p?.amount,
  currency: p?.currency,
  method: p?.method,
  reference: p?.reference,
});

const refuse = (reply: FastifyReply, r: AppRefusal) => reply.code(r.status).headers(r.headers).send(r.body);

/**
 * The app's own authentication, an `onRequest` hook: it runs before the payment gate (preParsing).
 * `X-Api-Key`, as `Authorization` carries the Payment credential.
 */
async function requireApiKey(request: FastifyRequest, reply: FastifyReply) {
  if (!isAuthenticated(request.headers[API_KEY_HEADER.toLowerCase()]))
    return refuse(reply, APP_REFUSALS.unauthenticated);
}

/** An authorization policy that runs after payment (a `preHandler`, after the gate) and denies. */
async function denyByPolicy(_request: FastifyRequest, reply: FastifyReply) {
  return refuse(reply, APP_REFUSALS['policy-denied']);
}

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
    return { id: request.params.id, ...pick(request.mpp), resource: M };
  });
  app.get('/cheap', paid('GET /cheap'), async () => {
    run('GET /cheap');
    return { cheap: true, resource: M };
  });
  app.post('/orders', paid('POST /orders'), async (request, reply) => {
    run('POST /orders');
    return reply.code(201).send({ order: request.body, resource: M });
  });
  for (const key of ['PUT /orders/:id', 'PATCH /orders/:id'] as const) {
    app.route<{ Params: { id: string } }>({
      method: key.split(' ')[0]!,
      url: '/orders/:id',
      ...paid(key),
      handler: async (request) => {
        run(key);
        return { id: request.params.id, order: request.body, resource: M };
      },
    });
  }
  app.get('/style/json', paid('GET /style/json'), async () => {
    run('GET /style/json');
    return { style: 'json', resource: M };
  });
  app.get('/style/send', paid('GET /style/send'), async (_request, reply) => {
    run('GET /style/send');
    return reply.send(`send ${M}`);
  });
  app.get('/style/end', paid('GET /style/end'), (_request, reply) => {
    run('GET /style/end');
    // The rawest answer Fastify allows: take the response away from it and write it directly.
    reply.hijack();
    reply.raw.end(`end ${M}`);
  });
  app.get('/style/stream', paid('GET /style/stream'), async (_request, reply) => {
    run('GET /style/stream');
    return reply.send(Readable.from(['str', `eam ${M}`]));
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
    if (run('GET /fail/flaky') > FLAKY_FAILURES) return { flaky: 'recovered', resource: M };
    return reply.code(500).send('flaky');
  });
  app.get<{ Params: { id: string } }>(
    '/account/:id',
    { ...paid('GET /account/:id'), onRequest: requireApiKey },
    async (request) => {
      run('GET /account/:id');
      return { account: request.params.id, resource: M };
    },
  );
  app.get('/policy/denied', paid('GET /policy/denied'), async (_request, reply) => {
    run('GET /policy/denied');
    return refuse(reply, APP_REFUSALS['policy-denied']);
  });
  app.get('/policy/guarded', { ...paid('GET /policy/guarded'), preHandler: denyByPolicy }, async () => {
    run('GET /policy/guarded');
    return { guarded: true, resource: M };
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

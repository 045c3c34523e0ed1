/**
 * One small app per HTTP surface (Express, Fastify, Koa, Nest on Express and on Fastify, the Fetch
 * API behind @hono/node-server), all over one deterministic engine: the `test` payment method, a
 * fixed secret, and a mounted stand-in for the embedded broker under `/mpp`. Every app listens on a
 * real socket whose parser accepts header sections up to 96 KiB, so 64 KiB header values reach the
 * payment code instead of Node's 431.
 *
 * Routes (each handler counts its runs, which the fuzzers compare with the payments made):
 * - `GET /paid/:id` (SGD 1.00) and `POST /orders` (SGD 5.00) are protected;
 * - `GET /free` and `POST /free/echo` are not;
 * - `/mpp/*` is the mounted handler (`GET /mpp/ping`, `POST /mpp/echo`).
 */
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMpp, type Mpp, type MppOptions, mountFetch, type Payment } from '@hit-pay/mpp';
import { type TestMethodStats, testMethod } from '@hit-pay/mpp/testing';
import { mppExpress } from '@hit-pay/mpp-express';
import { mppPlugin } from '@hit-pay/mpp-fastify';
import { mppKoa } from '@hit-pay/mpp-koa';
import { MppModule, MppPayment, MppProtected } from '@hit-pay/mpp-nest';
import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import { Body, Controller, Get, HttpCode, Inject, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import Koa from 'koa';

export const APP_SECRET = 'security-suite-challenge-secret-0123456789abcdef';
export const PAID = { amount: '1.00', currency: 'sgd', description: 'A paid thing' } as const;
export const ORDER = { amount: '5.00', currency: 'sgd' } as const;
/** Largest header section the apps' sockets accept (Node's default is 16 KiB). */
export const MAX_HEADER_BYTES = 96 * 1024;
/** Largest body the engine hashes in these apps. */
export const APP_MAX_BODY = 64 * 1024;

export type Surface = 'express' | 'fastify' | 'koa' | 'nest-express' | 'nest-fastify' | 'fetch';
export const SURFACES: readonly Surface[] = [
  'express',
  'fastify',
  'koa',
  'nest-express',
  'nest-fastify',
  'fetch',
];

/** A running app. */
export interface App {
  readonly surface: Surface;
  readonly url: string;
  readonly port: number;
  readonly mpp: Mpp;
  /** Runs of the protected handlers, and of all handlers. */
  readonly runs: { paid: number; orders: number; free: number };
  /** Payments the handlers saw (a protected handler that ran without one is a bypass). */
  readonly payments: Payment[];
  stats(): TestMethodStats;
  close(): Promise<void>;
  /** The Fastify instance (fastify and nest-fastify), for `inject()`. */
  readonly fastify?: FastifyInstance;
}

/** Options for the app's engine. */
export interface AppOptions {
  engine?: Partial<MppOptions>;
}

/** The mounted stand-in for the embedded broker. */
async function mounted(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (request.method === 'GET' && path === '/mpp/ping') return Response.json({ pong: true });
  if (request.method === 'POST' && path === '/mpp/echo') return new Response(await request.text());
  return Response.json({ error: 'not found' }, { status: 404 });
}

function engineFor(options: AppOptions) {
  const method = testMethod();
  const mpp = createMpp({
    methods: [method],
    secretKey: APP_SECRET,
    requireTls: false,
    maxBodyBytes: APP_MAX_BODY,
    ...options.engine,
  } as MppOptions);
  mpp.engine.mount(mountFetch(mounted));
  return { mpp, method };
}

interface Counters {
  runs: App['runs'];
  payments: Payment[];
}

function counters(): Counters {
  return { runs: { paid: 0, orders: 0, free: 0 }, payments: [] };
}

function note(c: Counters, route: 'paid' | 'orders' | 'free', payment?: Payment | null): void {
  c.runs[route]++;
  if (payment) c.payments.push(payment);
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function expressApp(options: AppOptions): Promise<App> {
  const { mpp, method } = engineFor(options);
  const c = counters();
  const app = express();
  const gate = mppExpress({ mpp, routes: { 'GET /paid/:id': PAID } });
  app.use(gate);
  app.get('/paid/:id', (req, res) => {
    note(c, 'paid', req.mpp);
    res.json({ id: req.params.id });
  });
  app.post('/orders', gate.protect(ORDER), express.json(), (req, res) => {
    note(c, 'orders', req.mpp);
    res.json({ ok: true });
  });
  app.get('/free', (_req, res) => {
    note(c, 'free');
    res.json({ free: true });
  });
  app.post('/free/echo', express.text({ type: '*/*' }), (req, res) => {
    note(c, 'free');
    res.send(typeof req.body === 'string' ? req.body : '');
  });
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  const port = await listen(server);
  return finish('express', port, mpp, method, c, () => closeServer(server));
}

async function fastifyApp(options: AppOptions): Promise<App> {
  const { mpp, method } = engineFor(options);
  const c = counters();
  const app = Fastify({
    serverFactory: (handler) => http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  });
  await app.register(mppPlugin, { mpp });
  app.get<{ Params: { id: string } }>('/paid/:id', { config: { mpp: PAID } }, async (request) => {
    note(c, 'paid', request.mpp);
    return { id: request.params.id };
  });
  app.post('/orders', { config: { mpp: ORDER } }, async (request) => {
    note(c, 'orders', request.mpp);
    return { ok: true };
  });
  app.get('/free', async () => {
    note(c, 'free');
    return { free: true };
  });
  app.post('/free/echo', async (request) => {
    note(c, 'free');
    return typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return finish(
    'fastify',
    port,
    mpp,
    method,
    c,
    async () => {
      app.server.closeAllConnections();
      await app.close();
    },
    app,
  );
}

async function koaApp(options: AppOptions): Promise<App> {
  const { mpp, method } = engineFor(options);
  const c = counters();
  const app = new Koa();
  app.silent = true;
  const gate = mppKoa({ mpp, routes: { 'GET /paid/:id': PAID } });
  app.use(gate);
  const router = new Router();
  router.get('/paid/:id', (ctx) => {
    note(c, 'paid', ctx.state.mpp);
    ctx.body = { id: ctx.params.id };
  });
  router.post('/orders', gate.protect(ORDER), (ctx) => {
    note(c, 'orders', ctx.state.mpp);
    ctx.body = { ok: true };
  });
  router.get('/free', (ctx) => {
    note(c, 'free');
    ctx.body = { free: true };
  });
  router.post('/free/echo', (ctx) => {
    note(c, 'free');
    ctx.body = 'echo';
  });
  app.use(router.routes());
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app.callback());
  const port = await listen(server);
  return finish('koa', port, mpp, method, c, () => closeServer(server));
}

const COUNTERS = Symbol('counters');

@Controller()
class NestFixture {
  constructor(@Inject(COUNTERS) private readonly c: Counters) {}

  @Get('paid/:id')
  @MppProtected(PAID)
  paid(@Param('id') id: string, @MppPayment() payment: Payment | undefined) {
    note(this.c, 'paid', payment);
    return { id };
  }

  @Post('orders')
  @HttpCode(200)
  @MppProtected(ORDER)
  orders(@MppPayment() payment: Payment | undefined) {
    note(this.c, 'orders', payment);
    return { ok: true };
  }

  @Get('free')
  free() {
    note(this.c, 'free');
    return { free: true };
  }

  @Post('free/echo')
  @HttpCode(200)
  echo(@Body() body: unknown) {
    note(this.c, 'free');
    return { echo: typeof body === 'string' ? body : null };
  }
}

@Module({})
class NestFixtureModule {}

async function nestApp(platform: 'express' | 'fastify', options: AppOptions): Promise<App> {
  const { mpp, method } = engineFor(options);
  const c = counters();
  const module = {
    module: NestFixtureModule,
    imports: [MppModule.forRoot({ mpp })],
    controllers: [NestFixture],
    providers: [{ provide: COUNTERS, useValue: c }],
  };
  if (platform === 'express') {
    const instance = express();
    const app = await NestFactory.create(module, new ExpressAdapter(instance), {
      rawBody: true,
      logger: false,
      abortOnError: false,
    });
    await app.init();
    const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, instance);
    const port = await listen(server);
    return finish('nest-express', port, mpp, method, c, async () => {
      await closeServer(server);
      await app.close();
    });
  }
  const app = await NestFactory.create(
    module,
    new FastifyAdapter({
      serverFactory: (handler: http.RequestListener) =>
        http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
    }),
    { rawBody: true, logger: false, abortOnError: false },
  );
  // As the adapter's README says: Fastify parses text/plain itself, so Nest must keep its raw bytes.
  (app as NestFastifyApplication).useBodyParser('text/plain');
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as http.Server;
  const port = (server.address() as AddressInfo).port;
  return finish(
    'nest-fastify',
    port,
    mpp,
    method,
    c,
    async () => {
      server.closeAllConnections();
      await app.close();
    },
    app.getHttpAdapter().getInstance() as FastifyInstance,
  );
}

/** The Fetch handler of the `fetch` surface (also driven in-process with Request objects). */
export function fetchHandler(mpp: Mpp, c: Counters): (request: Request) => Promise<Response> {
  const paid = mpp.protect<unknown>(PAID, (req, ctx) => {
    note(c, 'paid', ctx.payment);
    return Response.json({ id: new URL(req.url).pathname.split('/').pop() });
  });
  const orders = mpp.protect<unknown>(ORDER, (_req, ctx) => {
    note(c, 'orders', ctx.payment);
    return Response.json({ ok: true });
  });
  return async (request) => {
    const mountedAnswer = await mpp.handle(request);
    if (mountedAnswer) return mountedAnswer;
    const path = new URL(request.url).pathname;
    if (request.method === 'GET' && /^\/paid\/[^/]+$/.test(path)) return paid(request, {});
    if (request.method === 'POST' && path === '/orders') return orders(request, {});
    if (path === '/free' || path === '/free/echo') {
      note(c, 'free');
      return Response.json({ free: true });
    }
    return new Response('not found', { status: 404 });
  };
}

async function fetchApp(options: AppOptions): Promise<App> {
  const { mpp, method } = engineFor(options);
  const c = counters();
  const server = http.createServer(
    { maxHeaderSize: MAX_HEADER_BYTES },
    getRequestListener(fetchHandler(mpp, c)),
  );
  const port = await listen(server);
  return finish('fetch', port, mpp, method, c, () => closeServer(server));
}

function finish(
  surface: Surface,
  port: number,
  mpp: Mpp,
  method: ReturnType<typeof testMethod>,
  c: Counters,
  close: () => Promise<void>,
  fastify?: FastifyInstance,
): App {
  return {
    ...(fastify ? { fastify } : {}),
    surface,
    port,
    url: `http://127.0.0.1:${port}`,
    mpp,
    runs: c.runs,
    payments: c.payments,
    stats: () => ({ ...method.stats }),
    close,
  };
}

/** Starts the app of one surface. */
export function startApp(surface: Surface, options: AppOptions = {}): Promise<App> {
  switch (surface) {
    case 'express':
      return expressApp(options);
    case 'fastify':
      return fastifyApp(options);
    case 'koa':
      return koaApp(options);
    case 'nest-express':
      return nestApp('express', options);
    case 'nest-fastify':
      return nestApp('fastify', options);
    case 'fetch':
      return fetchApp(options);
  }
}

export { type Counters, counters };

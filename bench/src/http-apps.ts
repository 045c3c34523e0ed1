/**
 * The same two routes on every framework, bare or with our adapter installed the way its README
 * says: `GET /free` (unprotected JSON) and `GET /paid` (bare: a plain 401 JSON; ours: the payment
 * gate, then the same JSON plus the payment reference).
 */
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Mpp, Payment } from '@hit-pay/mpp';
import { mppExpress } from '@hit-pay/mpp-express';
import { mppPlugin } from '@hit-pay/mpp-fastify';
import { mppKoa } from '@hit-pay/mpp-koa';
import { MppModule, MppPayment, MppProtected } from '@hit-pay/mpp-nest';
import Router from '@koa/router';
import { Controller, Get, HttpCode, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { PRICE } from './fixtures.js';

export const FRAMEWORKS = ['express', 'fastify', 'koa', 'nest'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

const BODY = { forecast: 'sunny', zip: '94103' };
const UNAUTHORIZED = { error: 'unauthorized', detail: 'Missing credentials' };
const price = { ...PRICE };

export interface RunningApp {
  port: number;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<RunningApp> {
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function expressApp(mpp: Mpp | undefined): Promise<RunningApp> {
  const app = express();
  if (!mpp) {
    app.get('/free', (_req, res) => {
      res.json(BODY);
    });
    app.get('/paid', (_req, res) => {
      res.status(401).json(UNAUTHORIZED);
    });
  } else {
    const gate = mppExpress({ mpp });
    app.use(gate);
    app.get('/free', (_req, res) => {
      res.json(BODY);
    });
    app.get('/paid', gate.protect(price), (req, res) => {
      res.json({ ...BODY, reference: req.mpp!.reference });
    });
  }
  return listen(http.createServer(app));
}

async function fastifyApp(mpp: Mpp | undefined): Promise<RunningApp> {
  const app = Fastify({ logger: false });
  if (mpp) await app.register(mppPlugin, { mpp });
  app.get('/free', async () => BODY);
  if (!mpp) app.get('/paid', async (_request, reply) => reply.code(401).send(UNAUTHORIZED));
  else
    app.get('/paid', { config: { mpp: price } }, async (request) => ({
      ...BODY,
      reference: request.mpp!.reference,
    }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  app.server.keepAliveTimeout = 60_000;
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

async function koaApp(mpp: Mpp | undefined): Promise<RunningApp> {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  if (!mpp) {
    router.get('/free', (ctx) => {
      ctx.body = BODY;
    });
    router.get('/paid', (ctx) => {
      ctx.status = 401;
      ctx.body = UNAUTHORIZED;
    });
  } else {
    const gate = mppKoa({ mpp });
    app.use(gate);
    router.get('/free', (ctx) => {
      ctx.body = BODY;
    });
    router.get('/paid', gate.protect(price), (ctx) => {
      ctx.body = { ...BODY, reference: ctx.state.mpp!.reference };
    });
  }
  app.use(router.routes());
  return listen(http.createServer(app.callback()));
}

@Controller()
class BareController {
  @Get('free')
  free() {
    return BODY;
  }

  @Get('paid')
  @HttpCode(401)
  paid() {
    return UNAUTHORIZED;
  }
}

@Controller()
class PaidController {
  @Get('free')
  free() {
    return BODY;
  }

  @Get('paid')
  @MppProtected(price)
  paid(@MppPayment() payment: Payment) {
    return { ...BODY, reference: payment.reference };
  }
}

@Module({})
class BenchModule {}

async function nestApp(mpp: Mpp | undefined): Promise<RunningApp> {
  const app = await NestFactory.create(
    {
      module: BenchModule,
      imports: mpp ? [MppModule.forRoot({ mpp })] : [],
      controllers: [mpp ? PaidController : BareController],
    },
    new ExpressAdapter(),
    { rawBody: true, logger: false, abortOnError: false },
  );
  await app.init();
  const server = app.getHttpServer() as http.Server;
  const running = await listen(server);
  return {
    port: running.port,
    close: async () => {
      server.closeAllConnections();
      await app.close();
    },
  };
}

/** Starts `framework` bare (`mpp` undefined) or with the adapter on `mpp`, on a free loopback port. */
export function startApp(framework: Framework, mpp: Mpp | undefined): Promise<RunningApp> {
  switch (framework) {
    case 'express':
      return expressApp(mpp);
    case 'fastify':
      return fastifyApp(mpp);
    case 'koa':
      return koaApp(mpp);
    case 'nest':
      return nestApp(mpp);
  }
}

/**
 * The same two routes on every framework, bare or with our adapter installed the way its README
 * says: `GET /free` (unprotected JSON) and `GET /paid` (bare: a plain 401 JSON; ours: the payment
 * gate, then the same JSON plus the payment reference). The bare app also answers
 * `GET /fixed402`: one 402 the engine decided at start-up, the same bytes every time, through the
 * framework's own reply API — a diagnostic that prices the 402's response apart from computing it.
 */
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Mpp, Payment, RespondDecision } from '@hit-pay/mpp';
import { mppExpress } from '@hit-pay/mpp-express';
import { mppPlugin } from '@hit-pay/mpp-fastify';
import { mppKoa } from '@hit-pay/mpp-koa';
import { MppModule, MppPayment, MppProtected } from '@hit-pay/mpp-nest';
import Router from '@koa/router';
import { Controller, Get, HttpCode, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { PRICE } from './fixtures.js';

export const FRAMEWORKS = ['express', 'fastify', 'koa', 'nest'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

const BODY = { forecast: 'sunny', zip: '94103' };

/** The precomputed 402 of `GET /fixed402`: its status, headers (one challenge) and body. */
let fixed = { status: 402, headers: {} as Record<string, string>, body: '' };

function fix(decision: RespondDecision): void {
  const body = typeof decision.body === 'string' ? decision.body : Buffer.from(decision.body).toString();
  fixed = { status: decision.status, headers: Object.fromEntries(decision.headers), body };
}
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
    app.get('/fixed402', (_req, res) => {
      res.status(fixed.status).set(fixed.headers).send(fixed.body);
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
  if (!mpp) {
    app.get('/paid', async (_request, reply) => reply.code(401).send(UNAUTHORIZED));
    app.get('/fixed402', async (_request, reply) =>
      reply.code(fixed.status).headers(fixed.headers).send(fixed.body),
    );
  } else
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
    router.get('/fixed402', (ctx) => {
      ctx.status = fixed.status;
      ctx.set(fixed.headers);
      ctx.body = fixed.body;
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

  @Get('fixed402')
  fixed402(@Res() res: express.Response) {
    res.status(fixed.status).set(fixed.headers).send(fixed.body);
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

/**
 * Starts `framework` bare (`mpp` undefined) or with the adapter on `mpp`, on a free loopback port.
 * A bare app answers `GET /fixed402` with `fixed402` (default: whatever the last call set).
 */
export function startApp(
  framework: Framework,
  mpp: Mpp | undefined,
  fixed402?: RespondDecision,
): Promise<RunningApp> {
  if (fixed402) fix(fixed402);
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

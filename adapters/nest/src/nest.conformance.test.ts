/**
 * The standard fixture app on NestJS, under the shared conformance suite on both platforms:
 * nest-on-express and nest-on-fastify. Routes opt in with `@MppProtected(price)`.
 */
import 'reflect-metadata';
import { Readable } from 'node:stream';
import type { Payment } from '@hit-pay/mpp';
import {
  defineConformanceSuite,
  type FixtureContext,
  FLAKY_FAILURES,
  PROTECTED_ROUTES as P,
} from '@hit-pay/mpp-conformance';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  type INestApplication,
  Inject,
  Module,
  Param,
  Patch,
  Post,
  Put,
  Redirect,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MppModule, MppPayment, MppProtected } from './index.js';

const CTX = Symbol('FixtureContext');

const pick = (p: Payment | undefined) => ({
  amount: p?.amount,
  currency: p?.currency,
  method: p?.method,
  reference: p?.reference,
});

@Controller()
class StandardController {
  constructor(
    @Inject(CTX) private readonly ctx: FixtureContext,
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
  ) {}

  @Get('paid/:id')
  @MppProtected(P['GET /paid/:id'])
  paid(@Param('id') id: string, @MppPayment() payment: Payment, @Res({ passthrough: true }) res: unknown) {
    this.ctx.ran('GET /paid/:id');
    const adapter = this.host.httpAdapter;
    adapter.setHeader(res, 'cache-control', 'public, max-age=60');
    adapter.setHeader(res, 'x-request-id', `req-${id}`);
    adapter.setHeader(res, 'access-control-expose-headers', 'X-Request-Id');
    return { id, ...pick(payment) };
  }

  @Get('cheap')
  @MppProtected(P['GET /cheap'])
  cheap() {
    this.ctx.ran('GET /cheap');
    return { cheap: true };
  }

  @Post('orders')
  @MppProtected(P['POST /orders'])
  createOrder(@Body() body: unknown) {
    this.ctx.ran('POST /orders');
    return { order: body };
  }

  @Put('orders/:id')
  @MppProtected(P['PUT /orders/:id'])
  putOrder(@Param('id') id: string, @Body() body: unknown) {
    this.ctx.ran('PUT /orders/:id');
    return { id, order: body };
  }

  @Patch('orders/:id')
  @MppProtected(P['PATCH /orders/:id'])
  patchOrder(@Param('id') id: string, @Body() body: unknown) {
    this.ctx.ran('PATCH /orders/:id');
    return { id, order: body };
  }

  @Get('style/json')
  @MppProtected(P['GET /style/json'])
  json() {
    this.ctx.ran('GET /style/json');
    return { style: 'json' };
  }

  @Get('style/send')
  @MppProtected(P['GET /style/send'])
  send() {
    this.ctx.ran('GET /style/send');
    return 'send';
  }

  @Get('style/end')
  @MppProtected(P['GET /style/end'])
  end(@Res() res: unknown) {
    this.ctx.ran('GET /style/end');
    // The library-specific way out of Nest's response handling, through the platform adapter.
    this.host.httpAdapter.end(res, 'end');
  }

  @Get('style/stream')
  @MppProtected(P['GET /style/stream'])
  stream() {
    this.ctx.ran('GET /style/stream');
    return new StreamableFile(Readable.from([Buffer.from('str'), Buffer.from('eam')]));
  }

  @Get('style/redirect')
  @MppProtected(P['GET /style/redirect'])
  @Redirect('/free', 302)
  redirect() {
    this.ctx.ran('GET /style/redirect');
  }

  @Get('status/304')
  @MppProtected(P['GET /status/304'])
  @HttpCode(304)
  notModified() {
    this.ctx.ran('GET /status/304');
  }

  @Get('fail/500')
  @MppProtected(P['GET /fail/500'])
  @HttpCode(500)
  fail() {
    this.ctx.ran('GET /fail/500');
    return 'failed';
  }

  @Get('fail/throw')
  @MppProtected(P['GET /fail/throw'])
  fails() {
    this.ctx.ran('GET /fail/throw');
    throw new Error('handler failed');
  }

  @Get('fail/flaky')
  @MppProtected(P['GET /fail/flaky'])
  flaky() {
    if (this.ctx.ran('GET /fail/flaky') > FLAKY_FAILURES) return { flaky: 'recovered' };
    throw new HttpException('flaky', 500);
  }

  @Get('free')
  free() {
    this.ctx.ran('GET /free');
    return { free: true };
  }

  @Post('free/echo')
  @HttpCode(200)
  echo(@Body() body: unknown) {
    this.ctx.ran('POST /free/echo');
    return { echo: body };
  }
}

@Module({})
class FixtureModule {}

async function buildApp(ctx: FixtureContext, platform: 'express' | 'fastify') {
  const app: INestApplication = await NestFactory.create(
    {
      module: FixtureModule,
      imports: [MppModule.forRoot({ mpp: ctx.mpp })],
      controllers: [StandardController],
      providers: [{ provide: CTX, useValue: ctx }],
    },
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { rawBody: true, logger: false, abortOnError: false },
  );
  app.enableCors();
  // Nest keeps raw bodies for the JSON and urlencoded parsers; Fastify parses text itself (README).
  if (platform === 'fastify') (app as NestFastifyApplication).useBodyParser('text/plain');
  await app.init();
  if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return { server: app.getHttpServer(), close: () => app.close() };
}

defineConformanceSuite({ name: 'nest-on-express', build: (ctx) => buildApp(ctx, 'express') });
defineConformanceSuite({ name: 'nest-on-fastify', build: (ctx) => buildApp(ctx, 'fastify') });

/**
 * The standard fixture app on NestJS, under the shared conformance suite on both platforms:
 * nest-on-express and nest-on-fastify. Routes opt in with `@MppProtected(price)`.
 */
import 'reflect-metadata';
import type { IncomingHttpHeaders } from 'node:http';
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
  PROTECTED_ROUTES as P,
} from '@hit-pay/mpp-conformance';
import {
  type ArgumentsHost,
  Body,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  HttpCode,
  HttpException,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  Param,
  Patch,
  Post,
  Put,
  Redirect,
  Res,
  StreamableFile,
  UseGuards,
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

/** A refusal of the app's own (not the payment layer's); {@link AppRefusalFilter} writes it as is. */
class AppRefusalException extends HttpException {
  constructor(readonly refusal: AppRefusal) {
    super(refusal.body, refusal.status);
  }
}

/** Writes an {@link AppRefusalException}: its status, headers and problem body, on either platform. */
@Catch(AppRefusalException)
class AppRefusalFilter implements ExceptionFilter<AppRefusalException> {
  constructor(private readonly host: HttpAdapterHost) {}

  catch(exception: AppRefusalException, host: ArgumentsHost): void {
    const adapter = this.host.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(exception.refusal.headers))
      adapter.setHeader(response, name, value);
    adapter.reply(response, exception.refusal.body, exception.refusal.status);
  }
}

/** The app's own authentication: `X-Api-Key`, as `Authorization` carries the Payment credential. */
@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>();
    if (isAuthenticated(request.headers[API_KEY_HEADER.toLowerCase()])) return true;
    throw new AppRefusalException(APP_REFUSALS.unauthenticated);
  }
}

/** An authorization policy that runs after payment and denies. */
@Injectable()
class PolicyGuard implements CanActivate {
  canActivate(): boolean {
    throw new AppRefusalException(APP_REFUSALS['policy-denied']);
  }
}

/**
 * Authentication before payment (R18): a controller's guards run before its handlers' own, so
 * `ApiKeyGuard` here runs before the `MppGuard` that `@MppProtected` puts on the handler.
 */
@Controller('account')
@UseGuards(ApiKeyGuard)
class AccountController {
  constructor(@Inject(CTX) private readonly ctx: FixtureContext) {}

  @Get(':id')
  @MppProtected(P['GET /account/:id'])
  account(@Param('id') id: string) {
    this.ctx.ran('GET /account/:id');
    return { account: id, resource: M };
  }
}

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
    return { id, ...pick(payment), resource: M };
  }

  @Get('cheap')
  @MppProtected(P['GET /cheap'])
  cheap() {
    this.ctx.ran('GET /cheap');
    return { cheap: true, resource: M };
  }

  @Post('orders')
  @MppProtected(P['POST /orders'])
  createOrder(@Body() body: unknown) {
    this.ctx.ran('POST /orders');
    return { order: body, resource: M };
  }

  @Put('orders/:id')
  @MppProtected(P['PUT /orders/:id'])
  putOrder(@Param('id') id: string, @Body() body: unknown) {
    this.ctx.ran('PUT /orders/:id');
    return { id, order: body, resource: M };
  }

  @Patch('orders/:id')
  @MppProtected(P['PATCH /orders/:id'])
  patchOrder(@Param('id') id: string, @Body() body: unknown) {
    this.ctx.ran('PATCH /orders/:id');
    return { id, order: body, resource: M };
  }

  @Get('style/json')
  @MppProtected(P['GET /style/json'])
  json() {
    this.ctx.ran('GET /style/json');
    return { style: 'json', resource: M };
  }

  @Get('style/send')
  @MppProtected(P['GET /style/send'])
  send() {
    this.ctx.ran('GET /style/send');
    return `send ${M}`;
  }

  @Get('style/end')
  @MppProtected(P['GET /style/end'])
  end(@Res() res: unknown) {
    this.ctx.ran('GET /style/end');
    // The library-specific way out of Nest's response handling, through the platform adapter.
    this.host.httpAdapter.end(res, `end ${M}`);
  }

  @Get('style/stream')
  @MppProtected(P['GET /style/stream'])
  stream() {
    this.ctx.ran('GET /style/stream');
    return new StreamableFile(Readable.from([Buffer.from('str'), Buffer.from(`eam ${M}`)]));
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
    if (this.ctx.ran('GET /fail/flaky') > FLAKY_FAILURES) return { flaky: 'recovered', resource: M };
    throw new HttpException('flaky', 500);
  }

  @Get('policy/denied')
  @MppProtected(P['GET /policy/denied'])
  denied() {
    this.ctx.ran('GET /policy/denied');
    throw new AppRefusalException(APP_REFUSALS['policy-denied']);
  }

  @Get('policy/guarded')
  // Written above @MppProtected, so it runs after MppGuard: decorators apply bottom-up and each
  // @UseGuards appends to the handler's guards (adapters/nest/README.md, "Guard order").
  @UseGuards(PolicyGuard)
  @MppProtected(P['GET /policy/guarded'])
  guarded() {
    this.ctx.ran('GET /policy/guarded');
    return { guarded: true, resource: M };
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
      controllers: [StandardController, AccountController],
      providers: [{ provide: CTX, useValue: ctx }],
    },
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { rawBody: true, logger: false, abortOnError: false },
  );
  app.enableCors();
  app.useGlobalFilters(new AppRefusalFilter(app.get(HttpAdapterHost)));
  // Nest keeps raw bodies for the JSON and urlencoded parsers; Fastify parses text itself (README).
  if (platform === 'fastify') (app as NestFastifyApplication).useBodyParser('text/plain');
  await app.init();
  if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return { server: app.getHttpServer(), close: () => app.close() };
}

defineConformanceSuite({ name: 'nest-on-express', build: (ctx) => buildApp(ctx, 'express') });
defineConformanceSuite({ name: 'nest-on-fastify', build: (ctx) => buildApp(ctx, 'fastify') });

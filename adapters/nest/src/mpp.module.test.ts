import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { createMpp, type Mpp, type Payment } from '@hit-pay/mpp';
import { formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import {
  type ArgumentsHost,
  Body,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { MPP, MppModule, MppPayment, MppProtected } from './index.js';

const secretKey = 'nest-adapter-test-secret-0123456789abcdef';
const price = { amount: '1.00', currency: 'SGD' };
const method = () => testMethod();

@Injectable()
class DenyGuard implements CanActivate {
  canActivate() {
    return false;
  }
}

@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext) {
    if (context.switchToHttp().getRequest<IncomingMessage>().headers['x-api-key'] === 'k') return true;
    throw new UnauthorizedException();
  }
}

/** The guard order README's "Guard order" documents, on one handler: decorators apply bottom-up. */
@Controller('order')
class GuardOrderController {
  @Get('auth-below')
  @MppProtected(price)
  @UseGuards(ApiKeyGuard)
  authBelow() {
    return 'ok';
  }

  @Get('auth-above')
  @UseGuards(ApiKeyGuard)
  @MppProtected(price)
  authAbove() {
    return 'ok';
  }
}

@Controller('a')
@MppProtected(price)
class ClassLevelController {
  @Get('class-priced')
  classPriced(@MppPayment() payment: Payment) {
    return { amount: payment.amount };
  }

  @Get('own-price')
  @MppProtected({ amount: '2.50', currency: 'SGD' })
  ownPrice(@MppPayment() payment: Payment) {
    return { amount: payment.amount };
  }

  @Post('body')
  body(@Body() body: unknown) {
    return { body };
  }

  @Get('denied')
  @UseGuards(DenyGuard)
  denied() {
    return 'should not run';
  }
}

@Controller()
class BadPriceController {
  @Get('bad')
  @MppProtected({ amount: '1.001', currency: 'sgd' })
  bad() {}
}

@Controller()
class InjectsMpp {
  constructor(@Inject(MPP) readonly mpp: Mpp) {}
}

@Module({})
class TestModule {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app's global catch-all filter: it must never see (and so never rewrite) a 402. */
@Catch()
class CatchAll implements ExceptionFilter {
  caught = 0;
  catch(_exception: unknown, host: ArgumentsHost) {
    this.caught++;
    const res = host.switchToHttp().getResponse<{ raw?: unknown }>();
    const node = (res.raw ?? res) as import('node:http').ServerResponse;
    node.statusCode = 500;
    node.end('{"caught":true}');
  }
}

async function start(
  platform: string,
  imports: unknown[],
  controllers: unknown[],
  rawBody = true,
  globalFilter?: ExceptionFilter,
) {
  app = await NestFactory.create(
    { module: TestModule, imports: imports as never[], controllers: controllers as never[] },
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { rawBody, logger: false, abortOnError: false },
  );
  if (globalFilter) app.useGlobalFilters(globalFilter);
  await app.init();
  if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app.getHttpServer();
}

describe('configuration fails at start-up, naming the option', () => {
  it('at forRoot', () => {
    expect(() => MppModule.forRoot({ methods: [], secretKey })).toThrow(/option "methods"/);
    expect(() => MppModule.forRoot({ mpp: {} as Mpp })).toThrow(/@hit-pay\/mpp-nest: option "mpp"/);
  });
});

describe.each(['express', 'fastify'])('on platform-%s', (platform) => {
  it('a bad @MppProtected price fails init()', async () => {
    await expect(
      start(platform, [MppModule.forRoot({ methods: [method()], secretKey })], [BadPriceController]),
    ).rejects.toThrow(/invalid for test/);
  });

  it('forRootAsync builds the Mpp from a factory, and MPP injects it', async () => {
    const mpp = createMpp({ methods: [method()], secretKey, requireTls: false });
    const server = await start(
      platform,
      [MppModule.forRootAsync({ useFactory: async () => ({ mpp }) })],
      [ClassLevelController, InjectsMpp],
    );
    expect(app!.get(InjectsMpp).mpp).toBe(mpp);
    expect((await request(server).get('/a/class-priced')).status).toBe(402);
  });

  it("a global catch-all filter never sees the 402: the challenge and problem body stay the engine's", async () => {
    const filter = new CatchAll();
    const imports = [MppModule.forRoot({ methods: [method()], secretKey, requireTls: false })];
    const server = await start(platform, imports, [ClassLevelController], true, filter);
    const res = await request(server).get('/a/class-priced');
    expect(res.status).toBe(402);
    expect(parseChallenges(res.headers['www-authenticate'])).toHaveLength(1);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(res.text).type).toMatch(/payment-required$/);
    expect(filter.caught).toBe(0);
  });

  it('two methods give two WWW-Authenticate field lines, one challenge each', async () => {
    const methods = [testMethod({ name: 'alpha' }), testMethod({ name: 'beta' })];
    const server = await start(
      platform,
      [MppModule.forRoot({ methods, secretKey, requireTls: false })],
      [ClassLevelController],
    );
    const res = await request(server).get('/a/class-priced');
    expect(res.status).toBe(402);
    const lines: string[] = [];
    for (let i = 0; i < res.res.rawHeaders.length; i += 2)
      if (res.res.rawHeaders[i]!.toLowerCase() === 'www-authenticate') lines.push(res.res.rawHeaders[i + 1]!);
    expect(lines.map((l) => parseChallenges(l).map((c) => c.method))).toEqual([['alpha'], ['beta']]);
  });

  it('a controller price covers every handler; a handler price wins', async () => {
    const imports = [MppModule.forRoot({ methods: [method()], secretKey, requireTls: false })];
    const server = await start(platform, imports, [ClassLevelController]);
    const amountOf = async (path: string) => {
      const res = await request(server).get(path);
      const [c] = parseChallenges(res.headers['www-authenticate']);
      return JSON.parse(Buffer.from(c!.request, 'base64url').toString()).amount;
    };
    expect(await amountOf('/a/class-priced')).toBe('100');
    expect(await amountOf('/a/own-price')).toBe('250');
  });

  it('a guard that denies after payment gets its 403, no receipt, and the payment is released (R39)', async () => {
    const m = method();
    const imports = [MppModule.forRoot({ methods: [m], secretKey, requireTls: false })];
    const server = await start(platform, imports, [ClassLevelController]);
    const unpaid = await request(server).get('/a/denied');
    const [challenge] = parseChallenges(unpaid.headers['www-authenticate']);
    const authorization = formatCredential({ challenge: challenge!, payload: { proof: 'ok-1' } });
    const res = await request(server).get('/a/denied').set('authorization', authorization);
    expect(res.status).toBe(403);
    expect(res.headers['payment-receipt']).toBeUndefined();
    expect(m.stats).toMatchObject({ commits: 0, releases: 1 });
  });

  it('a guard written below @MppProtected runs before MppGuard, one written above after it (R18)', async () => {
    const m = method();
    const imports = [MppModule.forRoot({ methods: [m], secretKey, requireTls: false })];
    const server = await start(platform, imports, [GuardOrderController]);
    const below = await request(server).get('/order/auth-below');
    expect(below.status).toBe(401);
    expect(below.headers['www-authenticate']).toBeUndefined();
    expect((await request(server).get('/order/auth-below').set('x-api-key', 'k')).status).toBe(402);
    // Above: the payment is asked for before authentication, which R18 forbids for an auth guard.
    expect((await request(server).get('/order/auth-above')).status).toBe(402);
    expect(m.stats.verifyCalls).toBe(0);
  });

  it('without rawBody a protected body is a clear 500 naming the option', async () => {
    const imports = [MppModule.forRoot({ methods: [method()], secretKey, requireTls: false })];
    const server = await start(platform, imports, [ClassLevelController], false);
    const res = await request(server).post('/a/body').send({ qty: 1 });
    expect(res.status).toBe(500);
    expect(res.body.type).toMatch(/internal-payment-error$/);
    expect(res.body.detail).toMatch(/rawBody: true/);
  });
});

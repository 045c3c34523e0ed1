/**
 * R66 (draft-payment-discovery-00) through Nest: the module serves `GET /openapi.json` (its mount
 * middleware) on both platforms, listing the `@MppProtected` routes that name their operation —
 * Nest's paths (global prefix, versioning, RouterModule) are not known to the engine otherwise.
 */
import 'reflect-metadata';
import { testMethod } from '@hit-pay/mpp/testing';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { MppModule, MppProtected } from './index.js';

const secretKey = 'nest-adapter-test-secret-0123456789abcdef';

@Controller('forecast')
class ForecastController {
  @Get(':zip')
  @MppProtected({ price: { amount: '1.00', currency: 'SGD' }, operation: 'GET /forecast/:zip' })
  forecast() {
    return { forecast: 'sunny' };
  }
}

@Module({})
class TestModule {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(['express', 'fastify'])('R66: discovery on Nest (platform-%s)', (platform) => {
  it('GET /openapi.json lists the @MppProtected operation with its offer', async () => {
    const mpp = MppModule.forRoot({
      methods: [testMethod()],
      secretKey,
      requireTls: false,
      discovery: { title: 'Weather API', version: '1.0.0' },
    });
    app = await NestFactory.create(
      { module: TestModule, imports: [mpp], controllers: [ForecastController] },
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      { rawBody: true, logger: false, abortOnError: false },
    );
    await app.init();
    if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
    const res = await request(app.getHttpServer()).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(JSON.parse(res.text).paths['/forecast/{zip}'].get['x-payment-info'].offers).toEqual([
      { intent: 'charge', method: 'test', amount: '100', currency: 'sgd' },
    ]);
    expect((await request(app.getHttpServer()).get('/forecast/1')).status).toBe(402);
  });
});

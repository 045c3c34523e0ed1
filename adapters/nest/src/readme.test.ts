import 'reflect-metadata';
import type { Payment } from '@hit-pay/mpp';
import { expectReadmeSnippet } from '@hit-pay/mpp-conformance';
import { MppModule, MppPayment, MppProtected } from '@hit-pay/mpp-nest';
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';

vi.stubEnv('HITPAY_API_KEY', 'test_readme_api_key');

/** The README's snippet, verbatim (checked below), but for its closing `app.listen(3000)`. */
async function readmeApp() {
  // readme:start
  @Controller()
  class ForecastController {
    @Get('forecast/:zip')
    @MppProtected({ amount: '0.50', currency: 'SGD', description: 'Forecast' })
    forecast(@Param('zip') zip: string, @MppPayment() payment: Payment) {
      return { zip, forecast: 'sunny', paid: payment.reference };
    }

    @Post('reports')
    @MppProtected({ amount: '5.00', currency: 'SGD' })
    report(@Body() report: unknown, @MppPayment() payment: Payment) {
      return { report, paid: payment.amount };
    }
  }

  // HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, MPP_SECRET_KEY… come from the environment.
  @Module({ imports: [MppModule.forRoot({})], controllers: [ForecastController] })
  class AppModule {}

  // rawBody: the payment binds the exact request body, so Nest must keep its bytes.
  const app = await NestFactory.create(AppModule, { rawBody: true });
  // readme:end
  return app;
}

describe('README', () => {
  it('shows exactly the code this test runs', () => {
    expectReadmeSnippet(new URL('../README.md', import.meta.url), new URL(import.meta.url));
  });
  it('answers an unpaid call with a HitPay challenge and leaves other routes alone', async () => {
    const app = await readmeApp();
    await app.init();
    const server = app.getHttpServer();
    const res = await request(server).get('/forecast/94103');
    expect(res.status).toBe(402);
    expect(res.headers['www-authenticate']).toMatch(/^Payment .*method="hitpay"/);
    expect(res.body.type).toMatch(/payment-required$/);
    const post = await request(server).post('/reports').send({ period: '2026-09' });
    expect(post.status).toBe(402);
    expect(post.headers['www-authenticate']).toMatch(/digest="sha-256=:/);
    expect((await request(server).get('/health')).status).toBe(404);
    await app.close();
  });
});

import { expectReadmeSnippet } from '@hit-pay/mpp-conformance';
import { mppKoa } from '@hit-pay/mpp-koa';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';

vi.stubEnv('HITPAY_API_KEY', 'test_readme_api_key');

/** The README's snippet, verbatim (checked below), but for its closing `app.listen(3000)`. */
function readmeApp() {
  // readme:start
  const app = new Koa();
  // HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, MPP_SECRET_KEY… come from the environment.
  const mpp = mppKoa({
    routes: { 'POST /reports': { amount: '5.00', currency: 'SGD', description: 'Report' } },
  });
  const router = new Router();
  router.post('/reports', (ctx) => {
    ctx.status = 201;
    ctx.body = { report: ctx.request.body, paid: ctx.state.mpp?.amount };
  });
  router.get('/forecast/:zip', mpp.protect({ amount: '0.50', currency: 'SGD' }), (ctx) => {
    ctx.body = { zip: ctx.params.zip, forecast: 'sunny', paid: ctx.state.mpp?.reference };
  });

  app.use(mpp); // before the body parser; after it works too (its ctx.request.rawBody is used)
  app.use(bodyParser());
  app.use(router.routes());
  // readme:end
  return app;
}

describe('README', () => {
  it('shows exactly the code this test runs', () => {
    expectReadmeSnippet(new URL('../README.md', import.meta.url), new URL(import.meta.url));
  });
  it('answers an unpaid call with a HitPay challenge and leaves other routes alone', async () => {
    const server = readmeApp().callback();
    const res = await request(server).get('/forecast/94103');
    expect(res.status).toBe(402);
    expect(res.headers['www-authenticate']).toMatch(/^Payment .*method="hitpay"/);
    expect(res.body.type).toMatch(/payment-required$/);
    const post = await request(server).post('/reports').send({ period: '2026-09' });
    expect(post.status).toBe(402);
    expect(post.headers['www-authenticate']).toMatch(/digest="sha-256=:/);
    expect((await request(server).get('/health')).status).toBe(404);
  });
});

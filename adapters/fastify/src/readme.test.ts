import { expectReadmeSnippet } from '@hit-pay/mpp-conformance';
import { mppPlugin } from '@hit-pay/mpp-fastify';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';

vi.stubEnv('HITPAY_API_KEY', 'test_readme_api_key');

/** The README's snippet, verbatim (checked below), but for its closing `app.listen()`. */
async function readmeApp() {
  // readme:start
  const app = Fastify();
  // HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, MPP_SECRET_KEY… come from the environment.
  await app.register(mppPlugin); // before the routes it protects

  app.get<{ Params: { zip: string } }>(
    '/forecast/:zip',
    { config: { mpp: { amount: '0.50', currency: 'SGD', description: 'Forecast' } } },
    async (request) => ({ zip: request.params.zip, forecast: 'sunny', paid: request.mpp?.reference }),
  );
  app.post('/reports', { config: { mpp: { amount: '5.00', currency: 'SGD' } } }, async (request, reply) => {
    return reply.code(201).send({ report: request.body, paid: request.mpp?.amount });
  });
  // readme:end
  return app;
}

describe('README', () => {
  it('shows exactly the code this test runs', () => {
    expectReadmeSnippet(new URL('../README.md', import.meta.url), new URL(import.meta.url));
  });
  it('answers an unpaid call with a HitPay challenge and leaves other routes alone', async () => {
    const app = await readmeApp();
    const res = await app.inject({ method: 'GET', url: '/forecast/94103' });
    expect(res.statusCode).toBe(402);
    expect(res.headers['www-authenticate']).toMatch(/^Payment .*method="hitpay"/);
    expect(res.json().type).toMatch(/payment-required$/);
    const post = await app.inject({ method: 'POST', url: '/reports', payload: { period: '2026-09' } });
    expect(post.statusCode).toBe(402);
    expect(post.headers['www-authenticate']).toMatch(/digest="sha-256=:/);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(404);
    await app.close();
  });
});

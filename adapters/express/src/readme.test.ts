import { expectReadmeSnippet } from '@hit-pay/mpp-conformance';
import { mppExpress } from '@hit-pay/mpp-express';
import express from 'express';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';

vi.stubEnv('HITPAY_API_KEY', 'test_readme_api_key');

/** The README's snippet, verbatim (checked below), but for its closing `app.listen(3000)`. */
function readmeApp() {
  // readme:start
  const app = express();
  // HITPAY_API_KEY, HITPAY_WEBHOOK_SALT, MPP_SECRET_KEY… come from the environment.
  const mpp = mppExpress({
    routes: { 'POST /reports': { amount: '5.00', currency: 'SGD', description: 'Report' } },
  });
  app.use(mpp); // before body parsers: it hashes the raw body and leaves it to them
  app.use(express.json());

  app.post('/reports', (req, res) => {
    res.status(201).json({ report: req.body, paid: req.mpp?.amount });
  });
  app.get('/forecast/:zip', mpp.protect({ amount: '0.50', currency: 'SGD' }), (req, res) => {
    res.json({ zip: req.params.zip, forecast: 'sunny', paid: req.mpp?.reference });
  });
  // readme:end
  return app;
}

describe('README', () => {
  it('shows exactly the code this test runs', () => {
    expectReadmeSnippet(new URL('../README.md', import.meta.url), new URL(import.meta.url));
  });
  it('answers an unpaid call with a HitPay challenge and leaves other routes alone', async () => {
    const app = readmeApp();
    const res = await request(app).get('/forecast/94103');
    expect(res.status).toBe(402);
    expect(res.headers['www-authenticate']).toMatch(/^Payment .*method="hitpay"/);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toMatch(/payment-required$/);
    const post = await request(app).post('/reports').send({ period: '2026-09' });
    expect(post.status).toBe(402);
    expect(post.headers['www-authenticate']).toMatch(/digest="sha-256=:/);
    expect((await request(app).get('/health')).status).toBe(404);
  });
});

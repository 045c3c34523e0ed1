import { createMpp } from '@hit-pay/mpp';
import { formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';

describe('mpp.protect inside Hono', () => {
  it("hands the handler Hono's own context (methods, params) plus the payment", async () => {
    const mpp = createMpp({
      methods: [testMethod()],
      secretKey: 'hono-context-secret-hono-context-secret',
      realm: 'localhost',
    });
    const forecast = mpp.protect<{ req: { param(n: string): string }; json(v: unknown): Response }>(
      { amount: '1.00', currency: 'sgd' },
      (_req, c) => c.json({ zip: c.req.param('zip'), paid: c.payment.amount }),
    );
    const app = new Hono();
    app.get('/forecast/:zip', (c) => forecast(c.req.raw, c));
    const first = await app.request('http://localhost/forecast/94103');
    expect(first.status).toBe(402);
    const challenge = parseChallenges(first.headers.get('www-authenticate')!)[0]!;
    const paid = await app.request('http://localhost/forecast/94103', {
      headers: { authorization: formatCredential({ challenge, payload: { proof: 'ok-1' } }) },
    });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ zip: '94103', paid: '100' });
  });
});

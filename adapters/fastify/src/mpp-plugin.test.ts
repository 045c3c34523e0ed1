import type { Mpp } from '@hit-pay/mpp';
import { formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { mppPlugin } from './index.js';

const secretKey = 'fastify-adapter-test-secret-0123456789abcdef';
const price = { amount: '1.00', currency: 'SGD' };
const options = { methods: [testMethod()], secretKey, requireTls: false };

describe('configuration fails at register, naming the option', () => {
  it('engine options and the mpp option', async () => {
    await expect(Fastify().register(mppPlugin, { methods: [], secretKey })).rejects.toThrow(
      /option "methods"/,
    );
    await expect(Fastify().register(mppPlugin, { mpp: {} as Mpp })).rejects.toThrow(
      /@hit-pay\/mpp-fastify: option "mpp"/,
    );
  });
  it('a bad route price throws when the route is declared', async () => {
    const app = Fastify();
    await app.register(mppPlugin, options);
    expect(() =>
      app.get('/x', { config: { mpp: { amount: '1.001', currency: 'sgd' } } }, async () => 'x'),
    ).toThrow(/invalid for test/);
  });
});

describe('registration order', () => {
  it('a route declared before the plugin finished loading is still gated', async () => {
    const app = Fastify();
    void app.register(mppPlugin, options);
    app.get('/early', { config: { mpp: price } }, async () => 'unpaid!');
    const res = await app.inject({ method: 'GET', url: '/early' });
    expect(res.statusCode).toBe(402);
    expect(res.body).not.toContain('unpaid!');
  });
});

describe("the app's own parsers", () => {
  it('are used on protected routes, after payment', async () => {
    const app = Fastify();
    app.addContentTypeParser('application/x-shout', { parseAs: 'string' }, (_req, body, done) =>
      done(null, String(body).toUpperCase()),
    );
    await app.register(mppPlugin, options);
    app.post('/shout', { config: { mpp: price } }, async (request) => ({ got: request.body }));
    const send = (authorization?: string) =>
      app.inject({
        method: 'POST',
        url: '/shout',
        headers: { 'content-type': 'application/x-shout', ...(authorization ? { authorization } : {}) },
        payload: 'hello',
      });
    const unpaid = await send();
    expect(unpaid.statusCode).toBe(402);
    const [challenge] = parseChallenges(String(unpaid.headers['www-authenticate']));
    const paid = await send(formatCredential({ challenge: challenge!, payload: { proof: 'ok-1' } }));
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toEqual({ got: 'HELLO' });
    expect(paid.headers['payment-receipt']).toBeDefined();
  });
});

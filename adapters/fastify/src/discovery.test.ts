/**
 * R66 (draft-payment-discovery-00) through Fastify: the plugin registers `GET /openapi.json` for the
 * engine and publishes every route priced with `config.mpp` under its own path; offers match the
 * 402 the plugin sends for the same route.
 */
import { base64url, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { mppPlugin } from './index.js';

const secretKey = 'fastify-adapter-test-secret-0123456789abcdef';

async function app(discovery: boolean) {
  const a = Fastify();
  await a.register(mppPlugin, {
    methods: [testMethod()],
    secretKey,
    requireTls: false,
    ...(discovery ? { discovery: { title: 'Weather API', version: '1.0.0' } } : {}),
  });
  a.get('/forecast/:zip', { config: { mpp: { amount: '1.00', currency: 'SGD' } } }, async () => 'sunny');
  a.post('/reports', { config: { mpp: { amount: '5.00', currency: 'SGD' } } }, async () => 'report');
  a.get('/health', async () => 'ok');
  return a;
}

describe('R66: discovery on Fastify', () => {
  it('GET /openapi.json lists the priced routes, HEAD folded into GET; offers match the 402', async () => {
    const a = await app(true);
    const res = await a.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const doc = res.json();
    expect(doc.info).toEqual({ title: 'Weather API', version: '1.0.0' });
    expect(Object.keys(doc.paths)).toEqual(['/forecast/{zip}', '/reports']);
    expect(Object.keys(doc.paths['/forecast/{zip}'])).toEqual(['get']);
    expect(doc.paths['/forecast/{zip}'].get.parameters[0]).toMatchObject({ name: 'zip', in: 'path' });

    const paid = await a.inject({ method: 'GET', url: '/forecast/94103' });
    expect(paid.statusCode).toBe(402);
    const [c] = parseChallenges(String(paid.headers['www-authenticate']));
    const r = JSON.parse(base64url.decodeText(c!.request));
    expect([{ method: c!.method, intent: c!.intent, amount: r.amount, currency: r.currency }]).toEqual(
      doc.paths['/forecast/{zip}'].get['x-payment-info'].offers,
    );
    expect((await a.inject({ method: 'POST', url: '/openapi.json' })).statusCode).toBe(404);
  });

  it('without the option /openapi.json is not registered', async () => {
    const a = await app(false);
    expect((await a.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(404);
  });
});

/**
 * R66 (draft-payment-discovery-00) through Express: the middleware serves `GET /openapi.json`
 * from the engine's mounted-route path, listing the route map and the gates that name their
 * operation, with offers that match the 402 the same middleware sends.
 */
import { base64url, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { mppExpress } from './index.js';

const secretKey = 'express-adapter-test-secret-0123456789abcdef';

function app() {
  const mpp = mppExpress({
    methods: [testMethod()],
    secretKey,
    requireTls: false,
    routes: { 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } },
    discovery: { title: 'Weather API', version: '1.0.0' },
  });
  const a = express().use(mpp);
  a.get('/forecast/:zip', (_req, res) => {
    res.json({ forecast: 'sunny' });
  });
  a.post(
    '/reports',
    mpp.protect({ price: { amount: '5.00', currency: 'SGD' }, operation: 'POST /reports' }),
    (_req, res) => {
      res.status(201).json({ ok: true });
    },
  );
  a.post('/openapi.json', (_req, res) => {
    res.status(418).send('the app answers other methods');
  });
  return a;
}

describe('R66: discovery on Express', () => {
  it('GET /openapi.json: JSON, cached for 300 s, listing the route map and named gates', async () => {
    const res = await request(app()).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body).toMatchObject({ openapi: '3.1.0', info: { title: 'Weather API', version: '1.0.0' } });
    expect(Object.keys(res.body.paths)).toEqual(['/forecast/{zip}', '/reports']);
    expect(res.body.paths['/reports'].post.responses['402']).toBeDefined();
    expect((await request(app()).post('/openapi.json')).status).toBe(418);
  });

  it('offers agree with the 402 the middleware sends for the same operation', async () => {
    const a = app();
    const doc = (await request(a).get('/openapi.json')).body;
    for (const [method, path, target] of [
      ['get', '/forecast/{zip}', '/forecast/94103'],
      ['post', '/reports', '/reports'],
    ] as const) {
      const res = await request(a)[method](target);
      expect(res.status).toBe(402);
      const challenges = parseChallenges(res.headers['www-authenticate']);
      const offers = doc.paths[path][method]['x-payment-info'].offers;
      expect(
        challenges.map((c) => {
          const r = JSON.parse(base64url.decodeText(c.request));
          return { method: c.method, intent: c.intent, amount: r.amount, currency: r.currency };
        }),
      ).toEqual(offers);
    }
  });
});

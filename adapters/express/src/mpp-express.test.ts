import { createMpp, type Mpp, mountFetch } from '@hit-pay/mpp';
import { testMethod } from '@hit-pay/mpp/testing';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { mppExpress } from './index.js';

const secretKey = 'express-adapter-test-secret-0123456789abcdef';
const price = { amount: '1.00', currency: 'SGD' };

describe('configuration fails at start-up, naming the option', () => {
  it('engine options', () => {
    expect(() => mppExpress({ methods: [], secretKey })).toThrow(/option "methods"/);
    expect(() => mppExpress({ methods: [testMethod()], secretKey: 'short' })).toThrow(/option "secretKey"/);
  });
  it('the route map and the mpp option name this package', () => {
    expect(() => mppExpress({ methods: [testMethod()], secretKey, routes: { nonsense: price } })).toThrow(
      /@hit-pay\/mpp-express: option "routes\["nonsense"\]"/,
    );
    expect(() => mppExpress({ mpp: {} as Mpp })).toThrow(/@hit-pay\/mpp-express: option "mpp"/);
  });
  it('a bad price throws when the route is declared', () => {
    const mpp = mppExpress({ methods: [testMethod()], secretKey });
    expect(() => mpp.protect({ amount: '1.001', currency: 'sgd' })).toThrow(/invalid for test/);
  });
});

describe('failure modes', () => {
  it('a body consumed before the gate is a clear 500, not a bypass', async () => {
    const mpp = mppExpress({ methods: [testMethod()], secretKey, requireTls: false });
    const app = express().use(express.json());
    app.post('/orders', mpp.protect(price), (_req, res) => {
      res.json({ ran: true });
    });
    const res = await request(app).post('/orders').send({ qty: 1 });
    expect(res.status).toBe(500);
    expect(res.body.type).toMatch(/internal-payment-error$/);
    expect(res.body.detail).toMatch(/before body parsers/);
  });

  it('a failing mounted handler goes to the error handler; the app keeps serving', async () => {
    const mpp = createMpp({ methods: [testMethod()], secretKey });
    mpp.engine.mount(
      mountFetch(async () => {
        throw new Error('broker down');
      }),
    );
    const app = express().use(mppExpress({ mpp }));
    app.get('/ok', (_req, res) => {
      res.send('ok');
    });
    app.use(((_err, _req, res, _next) => {
      res.status(503).send('mounted failure');
    }) as express.ErrorRequestHandler);
    expect((await request(app).get('/mpp/ping')).status).toBe(503);
    expect((await request(app).get('/ok')).text).toBe('ok');
  });
});

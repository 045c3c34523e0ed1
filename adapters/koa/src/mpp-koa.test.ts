import type { Mpp } from '@hit-pay/mpp';
import { testMethod } from '@hit-pay/mpp/testing';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { mppKoa } from './index.js';

const secretKey = 'koa-adapter-test-secret-0123456789abcdef';
const price = { amount: '1.00', currency: 'SGD' };

describe('configuration fails at start-up, naming the option', () => {
  it('engine options', () => {
    expect(() => mppKoa({ methods: [], secretKey })).toThrow(/option "methods"/);
  });
  it('the route map and the mpp option name this package', () => {
    expect(() => mppKoa({ methods: [testMethod()], secretKey, routes: { 'GET /x': 42 as never } })).toThrow(
      /@hit-pay\/mpp-koa: option "routes\["GET \/x"\]"/,
    );
    expect(() => mppKoa({ mpp: {} as Mpp })).toThrow(/@hit-pay\/mpp-koa: option "mpp"/);
  });
  it('a bad price throws when the route is declared', () => {
    const mpp = mppKoa({ methods: [testMethod()], secretKey });
    expect(() => mpp.protect({ amount: '-1', currency: 'sgd' })).toThrow(/invalid for test/);
  });
});

describe('raw bodies', () => {
  it('a gate after @koa/bodyparser hashes its rawBody; a body consumed without one is a clear 500', async () => {
    for (const [parser, status] of [
      [bodyParser(), 402],
      [
        async (ctx: Koa.Context, next: Koa.Next) => {
          for await (const _ of ctx.req);
          await next();
        },
        500,
      ],
    ] as const) {
      const mpp = mppKoa({ methods: [testMethod()], secretKey, requireTls: false });
      const router = new Router();
      router.post('/orders', mpp.protect(price), (ctx) => {
        ctx.body = { ran: true };
      });
      const app = new Koa().use(parser).use(router.routes());
      const res = await request(app.callback()).post('/orders').send({ qty: 1 });
      expect(res.status).toBe(status);
      if (status === 402) expect(res.headers['www-authenticate']).toMatch(/digest="sha-256=:/);
      else expect(res.body.detail).toMatch(/before body parsers/);
    }
  });
});

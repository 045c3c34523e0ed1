import { type Challenge, formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { mppExpress } from './index.js';

/** Idempotency-Key (R47) and the rate limit (R52) through Express: res.json, res.send, res.end. */

const secretKey = 'express-adapter-test-secret-0123456789abcdef';

function build(extra: Record<string, unknown> = {}) {
  const method = testMethod();
  const mpp = mppExpress({
    methods: [method],
    secretKey,
    requireTls: false,
    routes: {
      'POST /orders': { amount: '5.00', currency: 'SGD' },
      'DELETE /orders/:id': { amount: '1.00', currency: 'SGD' },
    },
    ...extra,
  });
  let runs = 0;
  let status = 201;
  const app = express().use(mpp).use(express.json());
  app.post('/orders', (req, res) => {
    runs++;
    res
      .status(status)
      .set('x-run', String(runs))
      .json({ run: runs, order: req.body, paid: req.mpp?.reference });
  });
  app.delete('/orders/:id', (req, res) => {
    runs++;
    res.status(200).send(`deleted ${req.params.id} (run ${runs})`);
  });
  const post = (headers: Record<string, string> = {}) =>
    request(app).post('/orders').set(headers).send({ qty: 2 });
  const challenge = async (): Promise<Challenge> => {
    const res = await post();
    expect(res.status).toBe(402);
    return parseChallenges(res.headers['www-authenticate'])[0]!;
  };
  return {
    app,
    method,
    post,
    challenge,
    runs: () => runs,
    setStatus: (s: number) => {
      status = s;
    },
  };
}

const pay = (c: Challenge, proof = 'ok-1') => formatCredential({ challenge: c, payload: { proof } });

describe('Idempotency-Key through Express', () => {
  it('res.json: a repeat replays status, body and receipt; the handler ran once', async () => {
    const t = build();
    const c = await t.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': '"k-express"' };
    const first = await t.post(headers);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ run: 1, order: { qty: 2 }, paid: 'test_ref_1' });
    for (let i = 0; i < 2; i++) {
      const again = await t.post(headers);
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers['payment-receipt']).toBe(first.headers['payment-receipt']);
      expect(again.headers['cache-control']).toContain('private');
      expect(again.headers['x-run']).toBe('1');
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
    expect(t.runs()).toBe(1);
    expect(t.method.stats).toMatchObject({ verifyCalls: 1, commits: 1 });
  });

  it('DELETE with res.send', async () => {
    const t = build();
    const unpaid = await request(t.app).delete('/orders/7');
    const c = parseChallenges(unpaid.headers['www-authenticate'])[0]!;
    const headers = { authorization: pay(c), 'idempotency-key': 'del-7' };
    const first = await request(t.app).delete('/orders/7').set(headers);
    const again = await request(t.app).delete('/orders/7').set(headers);
    expect(first.text).toBe('deleted 7 (run 1)');
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(t.runs()).toBe(1);
  });

  it('422 for another credential under the key; a non-2xx is not recorded', async () => {
    const t = build();
    const c = await t.challenge();
    t.setStatus(409);
    expect((await t.post({ authorization: pay(c), 'idempotency-key': 'k' })).status).toBe(409);
    t.setStatus(201);
    const retry = await t.post({ authorization: pay(c), 'idempotency-key': 'k' });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    const other = await t.post({ authorization: pay(c, 'ok-2'), 'idempotency-key': 'k' });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('https://mpp.hitpay.dev/problems/idempotency-mismatch');
    expect(t.runs()).toBe(2);
  });
});

describe('rate limit through Express (R52)', () => {
  it('per client address; 429 problem, Retry-After, no challenge, handler not run', async () => {
    const t = build({ rateLimit: { max: 1, windowSeconds: 10 } });
    expect((await t.post()).status).toBe(402);
    const limited = await t.post();
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('10');
    expect(limited.headers['www-authenticate']).toBeUndefined();
    expect(limited.body).toMatchObject({ type: 'https://mpp.hitpay.dev/problems/rate-limited', status: 429 });
    expect(t.runs()).toBe(0);
  });
});

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMpp } from '../fetch.js';
import { formatCredential, parseChallenges } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { nodeGate, nodeMiddleware } from './index.js';

/**
 * Core's Connect-style middleware on a bare node:http server, as its TSDoc shows it. (Express runs
 * on it too, so the conformance suite covers it scenario by scenario; this is the framework-free
 * use.)
 */

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve() {
  const mpp = createMpp({
    methods: [testMethod()],
    secretKey: 'mpp-node-middleware-secret-0123456789',
    realm: 'api.example.com',
    requireTls: false,
  });
  mpp.engine.useRoutes({ 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } });
  const seen: string[] = [];
  const gate = nodeMiddleware(mpp.engine, (req, pass) => seen.push(`${req.url} ${pass.payment.amount}`));
  const report = nodeGate(mpp.engine, mpp.engine.route({ amount: '5.00', currency: 'SGD' }));
  const server = http.createServer((req, res) => {
    const handler = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    };
    const failed = (error?: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    };
    gate(req, res, (error) => {
      if (error) return failed(error);
      if (req.url === '/report') return report(req, res, (e) => (e ? failed(e) : handler()));
      handler();
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pay = async (path: string) => {
    const first = await fetch(`${base}${path}`);
    expect(first.status).toBe(402);
    await first.arrayBuffer();
    const challenge = parseChallenges(first.headers.get('www-authenticate')!)[0]!;
    return fetch(`${base}${path}`, {
      headers: { authorization: formatCredential({ challenge, payload: { proof: 'ok-1' } }) },
    });
  };
  return { base, pay, seen };
}

describe('nodeMiddleware and nodeGate on node:http', () => {
  it('passes unprotected requests through untouched', async () => {
    const app = await serve();
    const res = await fetch(`${app.base}/free`);
    expect(res.status).toBe(200);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await res.json()).toEqual({ url: '/free' });
  });

  it('gates a route-map route: 402, then the paid answer with its receipt and onPass called', async () => {
    const app = await serve();
    const paid = await app.pay('/forecast/94103');
    expect(paid.status).toBe(200);
    expect(paid.headers.get('payment-receipt')).toBeTruthy();
    expect(paid.headers.get('cache-control')).toContain('private');
    expect(await paid.json()).toEqual({ url: '/forecast/94103' });
    expect(app.seen).toEqual(['/forecast/94103 100']);
  });

  it('gates one route with nodeGate at its own price', async () => {
    const app = await serve();
    const first = await fetch(`${app.base}/report`);
    expect(first.status).toBe(402);
    expect(first.headers.get('content-type')).toContain('application/problem+json');
    const paid = await app.pay('/report');
    expect(paid.status).toBe(200);
    expect(paid.headers.get('payment-receipt')).toBeTruthy();
  });

  it('answers a malformed credential itself, with a problem, never through next(error)', async () => {
    const app = await serve();
    const res = await fetch(`${app.base}/forecast/94103`, { headers: { authorization: 'Payment !!!' } });
    expect([400, 402]).toContain(res.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMpp, type MppOptions } from '../fetch.js';
import { type Challenge, formatCredential, parseChallenges } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { fromNodeRequest, settleNodeResponse, writeNodeResponse } from './index.js';

/**
 * Idempotency-Key (R47) and the rate limit (R52) end to end through the Node bridge every Node
 * adapter settles with, on a bare node:http server: what the handler writes (any style) is what a
 * repeat gets back.
 */

type Style = (res: ServerResponse, run: number) => void | Promise<void>;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(extra: Partial<MppOptions> = {}) {
  const mpp = createMpp({
    methods: [testMethod()],
    secretKey: 'mpp-conformance-secret-0123456789abcdef',
    realm: 'api.example.com',
    requireTls: false,
    ...extra,
  });
  const route = mpp.engine.route({ amount: '5.00', currency: 'SGD' });
  let runs = 0;
  let style: Style = (res, run) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-run', String(run));
    res.statusCode = 201;
    // Several writes, then end with a last chunk: all of it is the body a repeat gets.
    res.write('{"run":');
    res.write(Buffer.from(String(run)));
    res.end('}');
  };
  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const decision = await mpp.engine.decide(fromNodeRequest(req), route);
    if (decision.kind === 'respond') return writeNodeResponse(res, decision);
    if (decision.kind === 'next') return res.end();
    settleNodeResponse(res, decision);
    await style(res, ++runs);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
  const send = (headers: Record<string, string> = {}, body = '{"item":"widget"}') =>
    fetch(url, { method: 'POST', headers, body });
  const challenge = async (): Promise<Challenge> => {
    const res = await send();
    expect(res.status).toBe(402);
    await res.arrayBuffer();
    return parseChallenges(res.headers.get('www-authenticate')!)[0]!;
  };
  return {
    send,
    challenge,
    runs: () => runs,
    setStyle: (s: Style) => {
      style = s;
    },
  };
}

const pay = (c: Challenge, proof = 'ok-1') => formatCredential({ challenge: c, payload: { proof } });
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('Idempotency-Key through settleNodeResponse', () => {
  it('a repeat replays status, headers, receipt and the streamed body; the handler ran once', async () => {
    const app = await serve();
    const c = await app.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': '"9f1c2d"' };
    const first = await app.send(headers);
    const body = await first.text();
    expect(first.status).toBe(201);
    expect(body).toBe('{"run":1}');
    await tick();
    const again = await app.send(headers);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('payment-receipt')).toBe(first.headers.get('payment-receipt'));
    expect(again.headers.get('cache-control')).toBe('private');
    expect(again.headers.get('x-run')).toBe('1');
    expect(again.headers.get('content-type')).toBe('application/json');
    expect(again.headers.get('content-length')).toBe(String(body.length));
    expect(app.runs()).toBe(1);
  });

  it('headers given to writeHead are replayed too', async () => {
    const app = await serve();
    app.setStyle((res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-style': 'writeHead' }).end('plain');
    });
    const c = await app.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    await (await app.send(headers)).text();
    await tick();
    const again = await app.send(headers);
    expect(again.headers.get('x-style')).toBe('writeHead');
    expect(again.headers.get('payment-receipt')).toBeTruthy();
    expect(await again.text()).toBe('plain');
    expect(app.runs()).toBe(1);
  });

  it('409 while the first is in flight; 422 for the same key with another credential', async () => {
    const app = await serve();
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    app.setStyle(async (res) => {
      await gate;
      res.end('done');
    });
    const c = await app.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    const first = app.send(headers);
    await tick();
    const busy = await app.send(headers);
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { type: string }).type).toBe(
      'https://mpp.hitpay.dev/problems/idempotency-conflict',
    );
    const other = await app.send({ authorization: pay(c, 'ok-2'), 'idempotency-key': 'k' });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { type: string }).type).toBe(
      'https://mpp.hitpay.dev/problems/idempotency-mismatch',
    );
    open();
    expect(await (await first).text()).toBe('done');
    expect(app.runs()).toBe(1);
  });

  it('a non-2xx answer is not recorded: the retry runs again and pays', async () => {
    const app = await serve();
    app.setStyle((res, run) => {
      res.statusCode = run === 1 ? 500 : 200;
      res.end(`run ${run}`);
    });
    const c = await app.challenge();
    const headers = { authorization: pay(c), 'idempotency-key': 'k' };
    expect((await app.send(headers)).status).toBe(500);
    await tick();
    const retry = await app.send(headers);
    expect(retry.status).toBe(200);
    expect(await retry.text()).toBe('run 2');
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(app.runs()).toBe(2);
  });

  it('a 2xx cut short (or over maxBodyBytes) is not replayable: 409 idempotency-unavailable, no second run', async () => {
    const app = await serve({ idempotency: { maxBodyBytes: 16 } });
    app.setStyle((res, run) => {
      if (run === 1) {
        res.writeHead(200);
        res.write('partial');
        res.destroy();
      } else res.end('x'.repeat(17));
    });
    const c1 = await app.challenge();
    const cut = { authorization: pay(c1), 'idempotency-key': 'k' };
    await app.send(cut).then(
      (r) => r.text(),
      () => undefined,
    );
    await tick();
    const again = await app.send(cut);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      type: 'https://mpp.hitpay.dev/problems/idempotency-unavailable',
      originalStatus: 200,
    });
    const c2 = await app.challenge();
    const big = { authorization: pay(c2, 'ok-2'), 'idempotency-key': 'k' };
    expect(await (await app.send(big)).text()).toHaveLength(17);
    await tick();
    expect((await app.send(big)).status).toBe(409);
    expect(app.runs()).toBe(2);
  });
});

describe('rate limit through the Node bridge (R52)', () => {
  it('keys on the client address by default: 429 with Retry-After and no challenge', async () => {
    const app = await serve({ rateLimit: { max: 2, windowSeconds: 30 } });
    expect((await app.send()).status).toBe(402);
    expect((await app.send()).status).toBe(402);
    const limited = await app.send();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    expect(limited.headers.get('www-authenticate')).toBeNull();
    expect(((await limited.json()) as { type: string }).type).toBe(
      'https://mpp.hitpay.dev/problems/rate-limited',
    );
    expect(app.runs()).toBe(0);
  });
});

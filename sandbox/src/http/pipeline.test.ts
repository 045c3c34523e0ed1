import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../server.js';

const KEY = 'test_pipeline';
let sb: Sandbox;

async function call(
  method: string,
  path: string,
  init: { body?: string | Buffer; headers?: Record<string, string> } = {},
) {
  const res = await fetch(sb.url + path, {
    method,
    headers: { 'X-BUSINESS-API-KEY': KEY, ...init.headers },
    body: init.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const create = (headers: Record<string, string> = {}) =>
  call('POST', '/v1/payment-requests', {
    body: JSON.stringify({ amount: '3.00', currency: 'SGD', reference_number: 'pipe' }),
    headers: { 'Content-Type': 'application/json', ...headers },
  });

beforeAll(async () => {
  sb = await startSandbox({ maxBodyBytes: 4096, hangMs: 2000 });
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

describe('HitPay error shapes for bad requests', () => {
  it('404s unknown routes Laravel-style', async () => {
    expect(await call('GET', '/v1/nope')).toMatchObject({
      status: 404,
      body: { message: 'The route v1/nope could not be found.' },
    });
  });

  it('405s a known path with the wrong method and lists the allowed ones', async () => {
    const res = await call('PATCH', '/v1/payment-requests');
    expect(res.status).toBe(405);
    expect(res.body.message).toBe(
      'The PATCH method is not supported for route v1/payment-requests. Supported methods: POST, GET.',
    );
    expect(res.headers.get('allow')).toBe('POST, GET');
  });

  it('413s bodies over the limit without reading them', async () => {
    const res = await call('POST', '/v1/payment-requests', {
      body: Buffer.alloc(10_000, 'a'),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res).toMatchObject({ status: 413, body: { message: 'The request entity is too large.' } });
  });

  it('400s malformed JSON and 415s unknown content types', async () => {
    const bad = await call('POST', '/v1/refund', {
      body: '{"payment_id":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(bad).toMatchObject({ status: 400, body: { message: 'The request body is not valid JSON.' } });
    const type = await call('POST', '/v1/refund', {
      body: 'x',
      headers: { 'Content-Type': 'application/xml' },
    });
    expect(type.status).toBe(415);
  });

  it('checks the key after routing, like Laravel middleware', async () => {
    expect((await call('GET', '/v1/nope', { headers: { 'X-BUSINESS-API-KEY': '' } })).status).toBe(404);
    expect(sb.stats.unauthenticated).toBe(0);
    expect(
      (await call('GET', '/v1/payment-requests', { headers: { 'X-BUSINESS-API-KEY': 'prod_key' } })).status,
    ).toBe(401);
    expect(sb.stats.unauthenticated).toBe(1);
  });

  it('answers HEAD with headers only', async () => {
    const res = await fetch(`${sb.url}/_sandbox/health`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('per-request faults (X-Sandbox-Fault)', () => {
  it('error=503 answers before doing anything', async () => {
    const res = await create({ 'X-Sandbox-Fault': 'error=503' });
    expect(res).toMatchObject({ status: 503, body: { message: 'Service Unavailable' } });
    expect(sb.stats.created.paymentRequests).toBe(0);
    expect(sb.stats.faultsApplied).toBe(1);
  });

  it('error-after=500 hides a real side effect', async () => {
    const res = await create({ 'X-Sandbox-Fault': 'error-after=500' });
    expect(res).toMatchObject({ status: 500, body: { message: 'Server Error' } });
    expect(sb.stats.created.paymentRequests).toBe(1);
  });

  it('error=429 adds Retry-After', async () => {
    const res = await create({ 'X-Sandbox-Fault': 'error=429' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('latency delays the answer', async () => {
    const started = Date.now();
    expect((await create({ 'X-Sandbox-Fault': 'latency=120' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('latency-after does the work first, then delays the answer', async () => {
    const started = Date.now();
    const answer = create({ 'X-Sandbox-Fault': 'latency-after=200' });
    await new Promise((r) => setTimeout(r, 100));
    expect(sb.stats.created.paymentRequests).toBe(1); // created while the answer is still held
    expect((await answer).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('hang holds the request until the client gives up; hang-after still does the work', async () => {
    await expect(
      fetch(`${sb.url}/v1/payment-requests`, {
        method: 'POST',
        headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json', 'X-Sandbox-Fault': 'hang' },
        body: JSON.stringify({ amount: 1, currency: 'SGD' }),
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toThrow();
    expect(sb.stats.created.paymentRequests).toBe(0);
    await expect(
      fetch(`${sb.url}/v1/payment-requests`, {
        method: 'POST',
        headers: {
          'X-BUSINESS-API-KEY': KEY,
          'Content-Type': 'application/json',
          'X-Sandbox-Fault': 'hang-after',
        },
        body: JSON.stringify({ amount: 1, currency: 'SGD' }),
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toThrow();
    expect(sb.stats.created.paymentRequests).toBe(1);
  });

  it('a hang gives up with 504 after hangMs', async () => {
    const res = await create({ 'X-Sandbox-Fault': 'hang' });
    expect(res.status).toBe(504);
  }, 10_000);

  it('400s unknown directives', async () => {
    const res = await create({ 'X-Sandbox-Fault': 'explode' });
    expect(res).toMatchObject({ status: 400, body: { message: 'Unknown sandbox fault "explode".' } });
  });
});

describe('global fault rules (/_sandbox/faults)', () => {
  it('adds, lists, consumes and removes rules', async () => {
    const added = await call('POST', '/_sandbox/faults', {
      body: JSON.stringify({ method: 'GET', path: '/v1/payment-requests/*', fault: 'error=502', count: 2 }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      method: 'GET',
      path: '/v1/payment-requests/*',
      fault: 'error=502',
      remaining: 2,
    });
    const { body: pr } = await create();
    expect((await call('GET', `/v1/payment-requests/${pr.id}`)).status).toBe(502);
    expect((await call('GET', '/_sandbox/faults')).body.data[0].remaining).toBe(1);
    expect((await call('GET', `/v1/payment-requests/${pr.id}`)).status).toBe(502);
    expect((await call('GET', `/v1/payment-requests/${pr.id}`)).status).toBe(200);

    const forever = await call('POST', '/_sandbox/faults', {
      body: JSON.stringify({ fault: 'latency=1', count: 0 }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(forever.body.remaining).toBeNull();
    expect((await call('DELETE', `/_sandbox/faults/${forever.body.id}`)).body).toEqual({ success: true });
    expect((await call('DELETE', `/_sandbox/faults/${forever.body.id}`)).status).toBe(404);
    sb.addFault({ fault: 'error=500', count: null });
    expect((await call('GET', '/_sandbox/faults')).status).toBe(200);
    expect((await call('DELETE', '/_sandbox/faults')).body).toEqual({ success: true });
    expect((await create()).status).toBe(200);
  });

  it('rejects bad rules with 400/422', async () => {
    const headers = { 'Content-Type': 'application/json' };
    expect((await call('POST', '/_sandbox/faults', { body: '{}', headers })).status).toBe(422);
    expect(
      (await call('POST', '/_sandbox/faults', { body: JSON.stringify({ fault: 'bogus' }), headers })).status,
    ).toBe(400);
  });
});

describe('sandbox controls', () => {
  it('reports stats per route and resets them', async () => {
    await create();
    await call('GET', '/v1/payment-requests');
    const { body } = await call('GET', '/_sandbox/stats');
    expect(body.created.paymentRequests).toBe(1);
    expect(body.calls).toMatchObject({ 'POST /v1/payment-requests': 1, 'GET /v1/payment-requests': 1 });
    expect((await call('POST', '/_sandbox/reset')).body).toEqual({ success: true });
    expect((await call('GET', '/_sandbox/stats')).body.calls).toEqual({ 'GET /_sandbox/stats': 1 });
    expect((await call('GET', '/v1/payment-requests')).body.meta.total).toBe(0);
  });

  it('moves the clock', async () => {
    const before = (await call('GET', '/_sandbox/clock')).body.epoch_ms;
    const after = await call('POST', '/_sandbox/clock', {
      body: JSON.stringify({ advance_seconds: 3600 }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(after.body.epoch_ms - before).toBeGreaterThanOrEqual(3_600_000);
    expect(after.body.now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });
});

describe('unparseable HTTP', () => {
  it('answers a malformed request line with a JSON 400 and stays up', async () => {
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(sb.port, '127.0.0.1', () => socket.write('GARBAGE\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain('{"message":"Bad request."}');
    expect((await fetch(`${sb.url}/_sandbox/health`)).status).toBe(200);
  });
});

/**
 * R66 (draft-payment-discovery-00): `GET /openapi.json` through the engine's mounted-route path
 * (here the Fetch API's `mpp.handle`; the adapters' own tests cover Express and Fastify), its
 * headers, the HTTPS rule, and the `discovery` option's validation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineOptions } from '../engine/options.js';
import { createMpp } from '../fetch.js';
import { MppConfigError } from '../protocol/errors.js';
import { testMethod } from '../testing/index.js';

const secretKey = 'discovery-test-secret-0123456789abcdef';
const discovery = { title: 'Weather API', version: '1.0.0' };

function mpp(extra: Partial<EngineOptions> = {}) {
  const m = createMpp({ methods: [testMethod()], secretKey, discovery, ...extra });
  m.engine.useRoutes({ 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } });
  return m;
}

const get = (path: string, init: RequestInit = {}, origin = 'https://api.example.com') =>
  new Request(`${origin}${path}`, init);

describe('R66: GET /openapi.json', () => {
  it('answers 200 application/json, Cache-Control max-age=300, readable cross-origin', async () => {
    const res = (await mpp().handle(get('/openapi.json')))!;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = await res.json();
    expect(doc).toMatchObject({ openapi: '3.1.0', info: discovery });
    expect(doc.paths['/forecast/{zip}'].get['x-payment-info'].offers).toEqual([
      { intent: 'charge', method: 'test', amount: '100', currency: 'sgd' },
    ]);
  });

  it('answers HEAD and a query string the same; other methods and paths are the app’s', async () => {
    const m = mpp();
    expect((await m.handle(get('/openapi.json', { method: 'HEAD' })))?.status).toBe(200);
    expect((await m.handle(get('/openapi.json?v=1')))?.status).toBe(200);
    expect(await m.handle(get('/openapi.json', { method: 'POST', body: '{}' }))).toBeUndefined();
    expect(await m.handle(get('/openapi.jsonx'))).toBeUndefined();
    expect(await m.handle(get('/forecast/1'))).toBeUndefined();
  });

  it('is off by default: /openapi.json is left to the app', async () => {
    const m = createMpp({ methods: [testMethod()], secretKey });
    m.engine.useRoutes({ 'GET /forecast/:zip': { amount: '1.00', currency: 'SGD' } });
    expect(m.engine.isMounted('/openapi.json')).toBe(false);
    expect(m.engine.discoveryDocument()).toBeUndefined();
    expect(await m.handle(get('/openapi.json'))).toBeUndefined();
  });

  it('lists routes added after the first request (the cached document is rebuilt)', async () => {
    const m = mpp();
    const before = await (await m.handle(get('/openapi.json')))!.json();
    expect(Object.keys(before.paths)).toEqual(['/forecast/{zip}']);
    m.protect(
      { price: { amount: '2.00', currency: 'SGD' }, operation: 'POST /reports' },
      () => new Response(),
    );
    const after = await (await m.handle(get('/openapi.json')))!.json();
    expect(Object.keys(after.paths)).toEqual(['/forecast/{zip}', '/reports']);
  });

  it('warns once per build when no priced route is known (the draft wants at least one path)', async () => {
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (_f: object, m: string) => warnings.push(m) };
    const m = createMpp({ methods: [testMethod()], secretKey, discovery, logger: log });
    const res = (await m.handle(get('/openapi.json')))!;
    expect((await res.json()).paths).toEqual({});
    await m.handle(get('/openapi.json'));
    expect(warnings).toEqual([expect.stringMatching(/lists no priced route/)]);
  });

  describe('HTTPS, by the rule challenges follow (requireTls)', () => {
    const env = process.env.NODE_ENV;
    afterEach(() => {
      process.env.NODE_ENV = env;
    });

    it('requireTls: true refuses plain HTTP with 403 tls-required, and serves HTTPS', async () => {
      const m = mpp({ requireTls: true });
      const res = (await m.handle(get('/openapi.json', {}, 'http://api.example.com')))!;
      expect(res.status).toBe(403);
      expect((await res.json()).type).toMatch(/tls-required$/);
      expect((await m.handle(get('/openapi.json')))?.status).toBe(200);
    });

    it("'auto' refuses plain HTTP in production except on loopback", async () => {
      process.env.NODE_ENV = 'production';
      const m = mpp();
      expect((await m.handle(get('/openapi.json', {}, 'http://api.example.com')))?.status).toBe(403);
      expect((await m.handle(get('/openapi.json', {}, 'http://127.0.0.1:3000')))?.status).toBe(200);
    });
  });
});

describe('R66: the discovery option is validated at start-up', () => {
  it.each<[unknown, string]>([
    ['yes', 'discovery'],
    [[], 'discovery'],
    [{}, 'discovery.title'],
    [{ title: ' ', version: '1' }, 'discovery.title'],
    [{ title: 't' }, 'discovery.version'],
    [{ title: 't', version: 1 }, 'discovery.version'],
    [{ ...discovery, description: 7 }, 'discovery.description'],
    [{ ...discovery, servers: 'https://api.example.com' }, 'discovery.servers'],
    [{ ...discovery, servers: ['ftp://api.example.com'] }, 'discovery.servers'],
    [{ ...discovery, categories: ['data', ''] }, 'discovery.categories'],
    [{ ...discovery, docs: 'https://x' }, 'discovery.docs'],
    [{ ...discovery, docs: { homepage: 'docs' } }, 'discovery.docs.homepage'],
    [{ ...discovery, docs: { readme: 'https://x' } }, 'discovery.docs.readme'],
  ])('%j → MppConfigError on %s', (value, option) => {
    let error: unknown;
    try {
      createMpp({ methods: [testMethod()], secretKey, discovery: value as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MppConfigError);
    expect((error as MppConfigError).option).toBe(option);
  });

  it('accepts false and a full configuration, frozen', () => {
    expect(createMpp({ methods: [testMethod()], secretKey, discovery: false }).engine.options.discovery).toBe(
      undefined,
    );
    const resolved = createMpp({
      methods: [testMethod()],
      secretKey,
      discovery: {
        ...discovery,
        servers: ['https://api.example.com', '/v1'],
        categories: ['data'],
        docs: { apiReference: 'https://api.example.com/ref' },
      },
    }).engine.options.discovery!;
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolved.servers).toEqual(['https://api.example.com', '/v1']);
  });
});

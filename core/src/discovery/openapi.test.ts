/**
 * R66 (draft-payment-discovery-00): the discovery document. Every payable operation carries an
 * `x-payment-info` valid against the draft's own JSON Schema (checked with Ajv, draft 2020-12) and a
 * "402" response, and its offers say what the runtime 402 says.
 */
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { MppEngine } from '../engine/engine.js';
import type { RouteInput } from '../engine/types.js';
import { fromFetchRequest } from '../fetch.js';
import { hitpayMethod } from '../methods/hitpay.js';
import { hitpaySaveMethod } from '../methods/hitpay-save.js';
import { base64url, parseChallenges } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { toOpenApiPath } from './openapi.js';

const schema = (name: string) => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validPaymentInfo = ajv.compile(schema('./x-payment-info.schema.json'));
const validServiceInfo = ajv.compile(schema('./x-service-info.schema.json'));
const AMOUNT = /^(0|[1-9][0-9]*)$/;

const host = {
  merchantId: 'merchant_test',
  broker: () => Promise.reject(new Error('discovery never reaches the broker')),
  brokerUrl: () => 'https://api.example.com/mpp',
};

const ROUTES: Record<string, RouteInput> = {
  'GET /forecast/:zip': { amount: '1.00', currency: 'SGD', description: 'Forecast' },
  'POST /reports': { amount: '12.50', currency: 'sgd' },
  'GET /quote/:symbol/:day': (req) => ({ amount: req.headers.get('x-size') ?? '0.10', currency: 'SGD' }),
  'GET /hourly': {
    savedMethod: {
      currency: 'sgd',
      perCallAmount: '0.50',
      maxAmountPerCharge: '1.00',
      totalAmountCap: '10.00',
    },
  },
  'GET /either': {
    price: { amount: '2.00', currency: 'SGD' },
    savedMethod: {
      currency: 'sgd',
      perCallAmount: '2.00',
      maxAmountPerCharge: '5.00',
      totalAmountCap: '50.00',
    },
  },
  '/files/*': { amount: '0.05', currency: 'SGD' },
};

/** The HitPay methods (no broker needed: a 402 touches nothing), discovery on. */
function hitpayEngine(routes = ROUTES): MppEngine {
  const engine = new MppEngine({
    methods: [
      hitpayMethod(host),
      hitpaySaveMethod({ ...host, grantKeys: () => Promise.reject(new Error('x')) }),
    ],
    secretKey: 'discovery-test-secret-0123456789abcdef',
    requireTls: false,
    discovery: {
      title: 'Weather API',
      version: '2.1.0',
      description: 'Paid forecasts',
      categories: ['data'],
      docs: { homepage: 'https://api.example.com/docs', llms: 'https://api.example.com/llms.txt' },
    },
  });
  engine.useRoutes(routes);
  return engine;
}

/** A parsed JSON document. */
type Doc = any;

function operations(doc: Doc): [string, string, Doc][] {
  return Object.entries(doc.paths as Record<string, Doc>).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Doc>).map(([method, op]): [string, string, Doc] => [
      path,
      method,
      op,
    ]),
  );
}

async function challengesOf(engine: MppEngine, method: string, target: string, headers: HeadersInit = {}) {
  const req = fromFetchRequest(new Request(`https://api.example.com${target}`, { method, headers }));
  const d = await engine.handle(req);
  if (d.kind !== 'respond' || d.status !== 402) throw new Error(`expected a 402 for ${method} ${target}`);
  return d.headers
    .filter(([n]) => n === 'www-authenticate')
    .flatMap(([, v]) => parseChallenges(v))
    .map((c) => ({
      method: c.method,
      intent: c.intent,
      request: JSON.parse(base64url.decodeText(c.request)),
    }));
}

describe('R66: the discovery document', () => {
  const doc: Doc = hitpayEngine().discoveryDocument();

  it('is OpenAPI 3.x with openapi, info.title, info.version and paths with operations', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toEqual({ title: 'Weather API', version: '2.1.0', description: 'Paid forecasts' });
    expect(operations(doc).length).toBeGreaterThan(0);
    expect(validServiceInfo(doc['x-service-info']), JSON.stringify(validServiceInfo.errors)).toBe(true);
  });

  it('every payable operation has x-payment-info valid against the draft schema and a "402" response', () => {
    for (const [path, method, op] of operations(doc)) {
      const where = `${method} ${path}`;
      expect(
        validPaymentInfo(op['x-payment-info']),
        `${where}: ${JSON.stringify(validPaymentInfo.errors)}`,
      ).toBe(true);
      expect(op.responses['402'].description, where).toBe('Payment Required');
      expect(op.responses['402'].headers['WWW-Authenticate'], where).toBeDefined();
      for (const offer of op['x-payment-info'].offers)
        if (offer.amount !== null) expect(offer.amount, where).toMatch(AMOUNT);
    }
  });

  it('the schema check can fail: a padded amount, a number, an unknown member or intent are refused', () => {
    const offer = { intent: 'charge', method: 'hitpay', amount: '100' };
    expect(validPaymentInfo({ offers: [offer] })).toBe(true);
    expect(validPaymentInfo(offer)).toBe(true);
    for (const bad of [{ amount: '0100' }, { amount: 100 }, { caps: '1' }, { intent: 'subscription' }])
      expect(validPaymentInfo({ offers: [{ ...offer, ...bad }] }), JSON.stringify(bad)).toBe(false);
    expect(validPaymentInfo({ offers: [] })).toBe(false);
  });

  it('every route-map route appears, path parameters declared; a method-less route under each method', () => {
    const listed = operations(doc).map(([path, method]) => `${method} ${path}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'get /forecast/{zip}',
        'post /reports',
        'get /quote/{symbol}/{day}',
        'get /hourly',
        'get /either',
        ...['get', 'put', 'post', 'delete', 'patch'].map((m) => `${m} /files/{wildcard}`),
      ]),
    );
    expect(listed).toHaveLength(10);
    expect(
      doc.paths['/quote/{symbol}/{day}'].get.parameters.map((p: Doc) => [p.name, p.in, p.required]),
    ).toEqual([
      ['symbol', 'path', true],
      ['day', 'path', true],
    ]);
    expect(doc.paths['/files/{wildcard}'].put.parameters[0].name).toBe('wildcard');
    expect(doc.paths['/reports'].post.parameters).toBeUndefined();
  });

  it('static prices in minor units and lower-case currency; a price function is dynamic (null)', () => {
    expect(doc.paths['/forecast/{zip}'].get['x-payment-info']).toEqual({
      offers: [
        { intent: 'charge', method: 'hitpay', amount: '100', currency: 'sgd', description: 'Forecast' },
      ],
    });
    expect(doc.paths['/reports'].post['x-payment-info'].offers[0].amount).toBe('1250');
    expect(doc.paths['/quote/{symbol}/{day}'].get['x-payment-info']).toEqual({
      offers: [{ intent: 'charge', method: 'hitpay', amount: null }],
    });
  });

  it('hitpay-save publishes the per-call amount, its caps in the pricing note; two methods, two offers', () => {
    const [offer] = doc.paths['/hourly'].get['x-payment-info'].offers;
    expect(offer).toMatchObject({ intent: 'charge', method: 'hitpay-save', amount: '50', currency: 'sgd' });
    expect(offer.description).toContain('SGD 1.00 per charge and SGD 10.00 in total');
    expect(doc.paths['/either'].get['x-payment-info'].offers.map((o: Doc) => [o.method, o.amount])).toEqual([
      ['hitpay', '200'],
      ['hitpay-save', '200'],
    ]);
  });

  it('offers agree with the runtime 402 challenges: method, intent, amount, currency, in order', async () => {
    const engine = hitpayEngine();
    const concrete: Record<string, string> = {
      'get /forecast/{zip}': '/forecast/94103',
      'post /reports': '/reports',
      'get /quote/{symbol}/{day}': '/quote/HPAY/2026-09-15',
      'get /hourly': '/hourly',
      'get /either': '/either',
      'delete /files/{wildcard}': '/files/a/b.csv',
    };
    for (const [key, target] of Object.entries(concrete)) {
      const [method, path] = key.split(' ') as [string, string];
      const offers = doc.paths[path][method]['x-payment-info'].offers;
      const challenges = await challengesOf(engine, method.toUpperCase(), target, { 'x-size': '0.70' });
      expect(
        challenges.map((c) => [c.method, c.intent]),
        key,
      ).toEqual(offers.map((o: Doc) => [o.method, o.intent]));
      for (const [i, offer] of offers.entries()) {
        // A dynamic offer has no amount to compare: the 402 is authoritative (here it says 70).
        if (offer.amount === null) expect(challenges[i]!.request.amount, key).toBe('70');
        else
          expect(challenges[i]!.request, key).toMatchObject({
            amount: offer.amount,
            currency: offer.currency,
          });
      }
    }
  });

  it('a route-level gate with an operation is listed; a malformed operation fails at start-up', async () => {
    const engine = hitpayEngine({});
    engine.route({ price: { amount: '3.00', currency: 'SGD' }, operation: 'PUT /items/:id' }, 'protect #1');
    engine.route({ amount: '9.00', currency: 'SGD' }, 'protect #2'); // no operation: not listed
    const d: Doc = engine.discoveryDocument();
    expect(Object.keys(d.paths)).toEqual(['/items/{id}']);
    expect(d.paths['/items/{id}'].put['x-payment-info'].offers[0].amount).toBe('300');
    for (const operation of ['/items', 'FETCH /items', 'GET items', 42])
      expect(() =>
        engine.route({ price: { amount: '1.00', currency: 'SGD' }, operation } as never, 'protect #3'),
      ).toThrow(/option "protect #3\.operation" must look like "GET \/reports\/:id"/);
  });

  it('first route wins an operation; HEAD beside GET and methods OpenAPI cannot name are left out', () => {
    const engine = new MppEngine({
      methods: [testMethod()],
      secretKey: 'discovery-test-secret-0123456789abcdef',
      discovery: { title: 't', version: '1' },
    });
    engine.useRoutes({
      'GET /a': { amount: '1.00', currency: 'SGD' },
      'get /a/': { amount: '2.00', currency: 'SGD' },
    });
    const other = engine.route({ amount: '5.00', currency: 'SGD' });
    engine.publish('HEAD', '/a', other);
    engine.publish('HEAD', '/only-head', other);
    engine.publish('PROPFIND', '/dav', other);
    const d: Doc = engine.discoveryDocument();
    expect(Object.keys(d.paths['/a'])).toEqual(['get']);
    expect(d.paths['/a'].get['x-payment-info'].offers[0]).toMatchObject({ method: 'test', amount: '100' });
    expect(Object.keys(d.paths['/only-head'])).toEqual(['head']);
    expect(d.paths['/dav']).toBeUndefined();
  });
});

describe('R66: path templates', () => {
  it.each([
    ['/forecast/:zip', '/forecast/{zip}', ['zip']],
    ['/a/:id(\\d+)/b/:name?', '/a/{id}/b/{name}', ['id', 'name']],
    ['/files/*', '/files/{wildcard}', ['wildcard']],
    ['/x/*/y/*', '/x/{wildcard}/y/{wildcard2}', ['wildcard', 'wildcard2']],
    ['/flights/:from-:to', '/flights/{from}-{to}', ['from', 'to']],
    ['/trailing/', '/trailing', []],
    ['/', '/', []],
  ])('%s → %s', (pattern, path, names) => {
    const out = toOpenApiPath(pattern);
    expect(out.path).toBe(path);
    expect(out.parameters.map((p) => p.name)).toEqual(names);
  });
});

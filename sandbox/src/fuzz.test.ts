import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxHttpError } from './errors.js';
import { parseFaultSpec } from './faults.js';
import { buildRouter } from './routes.js';
import { type Sandbox, startSandbox } from './server.js';

/**
 * Every route, hit with random bodies, content types and path ids, must answer with one of
 * HitPay's expected statuses and bodies: never a 500, a crash or a hang.
 */
const RUNS = 300;
const KEY = 'test_fuzz';
const ALLOWED = new Set([200, 201, 303, 400, 401, 404, 405, 413, 415, 422]);

const FIELDS = [
  'amount',
  'currency',
  'payment_methods',
  'email',
  'name',
  'phone',
  'purpose',
  'reference_number',
  'redirect_url',
  'webhook',
  'expiry_date',
  'expires_after',
  'metadata',
  'generate_qr',
  'send_sms',
  'allow_repeated_payments',
  'customer_email',
  'save_payment_method',
  'times_to_be_charged',
  'generate_direct_link',
  'reference',
  'payment_id',
  'url',
  'event_types',
  'status',
  'decision',
  'payment_method',
  'decline',
  'fault',
  'count',
  'method',
  'path',
  'advance_ms',
  'advance_seconds',
  'per_page',
  'current_page',
  'search',
];

const jsonValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '10.00',
    '0.3',
    '-1',
    '1e9',
    'SGD',
    'card',
    'true',
    'false',
    '30 mins',
    'https://x.example/h',
    '',
  ),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constantFrom('card', 'charge.created')), {
    maxLength: 4,
  }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), {
    maxKeys: 4,
  }),
);

const fieldObject = fc.dictionary(fc.constantFrom(...FIELDS), jsonValue, { maxKeys: 8 });

/** Form pairs for a value: arrays as `k[]`, maps as `k[sub]`. */
function formPairs(key: string, value: unknown): [string, string][] {
  if (Array.isArray(value)) return value.map((x) => [`${key}[]`, String(x)]);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([sub, x]) => [`${key}[${sub}]`, String(x)]);
  }
  return [[key, String(value)]];
}

const body = fc.oneof(
  fieldObject.map((o) => ({ type: 'application/json', text: JSON.stringify(o) })),
  fieldObject.map((o) => ({
    type: 'application/x-www-form-urlencoded',
    text: new URLSearchParams(Object.entries(o).flatMap(([k, v]) => formPairs(k, v))).toString(),
  })),
  fc.json().map((text) => ({ type: 'application/json', text })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/json', text })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/x-www-form-urlencoded', text })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: undefined, text })),
  fc.string({ maxLength: 100 }).map((text) => ({ type: 'text/xml', text })),
  fc.constant({ type: 'application/json', text: 'x'.repeat(70_000) }),
);

let sb: Sandbox;
const unexpected: unknown[] = [];
const ids: Record<string, string[]> = { id: [], slug: [], businessId: [] };

beforeAll(async () => {
  sb = await startSandbox({
    maxBodyBytes: 64 * 1024,
    webhookRetryDelaysMs: [],
    webhookTimeoutMs: 200,
    hangMs: 100,
    onError: (e) => unexpected.push(e),
  });
  const h = { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' };
  const pr = (await (
    await fetch(`${sb.url}/v1/payment-requests`, {
      method: 'POST',
      headers: h,
      body: '{"amount":5,"currency":"SGD"}',
    })
  ).json()) as any;
  const rb = (await (
    await fetch(`${sb.url}/v1/recurring-billing`, {
      method: 'POST',
      headers: h,
      body: '{"name":"n","customer_email":"a@b.co","save_payment_method":true}',
    })
  ).json()) as any;
  ids.id!.push(pr.id, rb.id);
  ids.slug!.push(sb.business(KEY).slug);
  ids.businessId!.push(sb.business(KEY).id);
});
afterAll(() => sb.close());

describe('fuzz: every endpoint answers HitPay-shaped errors', () => {
  for (const route of buildRouter().routes()) {
    it(`${route.method} ${route.pattern}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          body,
          fc.constantFrom(...ids.id!, 'nope', '../..', '%E0%A4%A', 'a%2Fb', ' '),
          fc.boolean(),
          async (b, randomId, withKey) => {
            sb.clearFaults();
            const path = route.pattern
              .replace('{id}', encodeURI(randomId))
              .replace('{slug}', ids.slug![0]!)
              .replace('{businessId}', ids.businessId![0]!);
            const headers: Record<string, string> = withKey ? { 'X-BUSINESS-API-KEY': KEY } : {};
            if (b.type) headers['Content-Type'] = b.type;
            const res = await fetch(sb.url + path, {
              method: route.method,
              headers,
              body: route.method === 'GET' ? undefined : b.text,
              redirect: 'manual',
              signal: AbortSignal.timeout(5000),
            });
            const text = await res.text();
            expect(ALLOWED.has(res.status), `${res.status} ${text.slice(0, 200)}`).toBe(true);
            if (res.headers.get('content-type') === 'application/json') {
              const parsed = JSON.parse(text);
              if (res.status >= 400) expect(typeof parsed.message).toBe('string');
            }
          },
        ),
        { numRuns: RUNS },
      );
    }, 60_000);
  }

  it('random methods and paths never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.webPath(),
        async (method, path) => {
          const res = await fetch(sb.url + (path.startsWith('/') ? path : `/${path}`), {
            method,
            headers: { 'X-BUSINESS-API-KEY': KEY },
            redirect: 'manual',
          });
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  }, 60_000);

  it('the server is still healthy afterwards and never hit an unexpected error', async () => {
    expect((await fetch(`${sb.url}/_sandbox/health`)).status).toBe(200);
    expect(unexpected).toEqual([]);
  });
});

describe('fuzz: fault directives', () => {
  it('parse or fail with a 400 only', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(
              fc.constantFrom(
                'error=',
                'latency=',
                'hang',
                'webhook=',
                'status-lag',
                '503',
                'drop',
                ',',
                ';',
                ' ',
                'x',
              ),
              {
                maxLength: 8,
              },
            )
            .map((a) => a.join('')),
        ),
        (text) => {
          try {
            parseFaultSpec(text);
          } catch (e) {
            expect(e).toBeInstanceOf(SandboxHttpError);
            expect((e as SandboxHttpError).status).toBe(400);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

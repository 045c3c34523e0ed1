/**
 * Fuzzing the HTTP surface of every adapter (Express, Fastify, Koa, Nest on Express and on
 * Fastify, the Fetch API behind @hono/node-server) with fast-check.
 *
 * How each surface is driven:
 * - **raw sockets** for every surface: bytes no client library would send (control characters,
 *   latin1, 64 KiB values, repeated and oddly cased headers, bypass-shaped targets). Node's own
 *   parser answers some of them (400/431) before the app sees anything; that is part of what is
 *   tested, since it is what an attacker meets in production.
 * - **structured requests** for random bodies and content types: `supertest` for the servers
 *   built on Node's request objects (Express, Koa, Nest on Express), `inject()` for Fastify and
 *   Nest on Fastify (light-my-request, no socket), and `Request` objects handed straight to the
 *   Fetch handler (what a Fetch platform does after its own parser).
 *
 * Invariants on every answer: an answer arrives (no hang), its status is below 500, a 402 carries a
 * Payment challenge and `Cache-Control: no-store`; and over the whole run, a protected handler ran
 * exactly as many times as a payment was verified, each challenge paying once.
 */
import { base64url, parseChallenges } from '@hit-pay/mpp/protocol';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, type counters, fetchHandler, SURFACES, startApp } from './support/apps.ts';
import {
  body,
  contentType,
  credentialHeaders,
  credentialRecipe,
  headerName,
  headerValue,
  junkCredential,
  method,
  runs,
  target,
} from './support/fuzz.ts';
import { type RawResponse, rawExchange, rawRequest } from './support/raw-http.ts';

/** Framing headers the fuzzer leaves alone: a wrong one makes the server wait for bytes never sent. */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
  'te',
  'keep-alive',
  'proxy-connection',
  'http2-settings',
]);

function checkAnswer(r: RawResponse, context: string): void {
  expect(r.status, `no answer: ${context}`).toBeDefined();
  expect(r.status, `${context}\n${r.raw.slice(0, 600)}`).toBeLessThan(500);
  if (r.status === 402) {
    const challenges = r.headers.get('www-authenticate') ?? [];
    expect(
      challenges.some((v) => /^Payment /i.test(v)),
      `402 without a Payment challenge: ${context}`,
    ).toBe(true);
    expect(r.headers.get('cache-control')?.join(','), context).toMatch(/no-store/);
  }
}

function checkLedger(app: App): void {
  expect(app.runs.paid + app.runs.orders, 'a protected handler ran unpaid').toBe(app.payments.length);
  const ids = app.payments.map((p) => p.challengeId);
  expect(new Set(ids).size, 'a challenge paid twice').toBe(ids.length);
}

const requestShape = fc.record({
  method,
  target,
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 }),
  credential: fc.option(credentialRecipe, { nil: undefined }),
  junk: fc.option(junkCredential, { nil: undefined }),
  contentType: fc.option(contentType, { nil: undefined }),
  body,
});

/** A protected request, in one of the path forms a framework routes to the same handler. */
const routeForm = fc.oneof(
  fc.record({
    kind: fc.constant('paid' as const),
    target: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('/paid/1', '/paid/2') },
      {
        weight: 2,
        arbitrary: fc.constantFrom('/PAID/1', '/paid/1/', '/paid/%31', '//paid/1', '/paid/1?a=1'),
      },
    ),
  }),
  fc.record({
    kind: fc.constant('orders' as const),
    target: fc.oneof(
      { weight: 3, arbitrary: fc.constant('/orders') },
      { weight: 1, arbitrary: fc.constantFrom('/orders/', '/ORDERS', '/orders?x=1') },
    ),
    body: fc.constantFrom('{"n":1}', '{"n":2}', '{"n": 1}'),
  }),
);

type RouteForm = { kind: 'paid'; target: string } | { kind: 'orders'; target: string; body: string };

function routeRequest(form: RouteForm) {
  return form.kind === 'paid'
    ? { method: 'GET', target: form.target, headers: [] as [string, string][] }
    : {
        method: 'POST',
        target: form.target,
        headers: [['Content-Type', 'application/json']] as [string, string][],
        body: new TextEncoder().encode(form.body),
      };
}

const credentialShape = fc
  .record({
    issuedFor: routeForm,
    // Half the time the credential goes back to the request it was issued for.
    usedOn: routeForm,
    same: fc.constantFrom(true, true, false),
    recipe: credentialRecipe,
    replay: fc.boolean(),
    extraHeaders: fc.array(
      fc.tuple(
        fc.constantFrom('Accept-Payment', 'Origin', 'Accept', 'X-Forwarded-Host', 'X-Forwarded-Proto'),
        fc.constantFrom(
          'test/charge',
          '*/*;q=0',
          'https://evil.example',
          'text/html',
          'evil.example',
          'https',
        ),
      ),
      { maxLength: 2 },
    ),
  })
  .map((s) => (s.same ? { ...s, usedOn: s.issuedFor } : s));

const RAW_RUNS = runs(400);
const CREDENTIAL_RUNS = runs(300);
const STRUCTURED_RUNS = runs(150);

describe.each(SURFACES)('%s', (surface) => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(surface);
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`raw sockets: random methods, targets, headers (≤ 64 KiB, controls, repeats, casing) and bodies never get a 5xx or hang, and never run a protected handler unpaid (${RAW_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(requestShape, async (shape) => {
        const headers: [string, string][] = shape.headers.filter(([n]) => !FRAMING.has(n.toLowerCase()));
        if (shape.junk) headers.push(['Authorization', shape.junk]);
        if (shape.contentType !== undefined) headers.push(['Content-Type', shape.contentType]);
        const req = { method: shape.method, target: shape.target, headers, body: shape.body };
        const context = `${surface} ${shape.method} ${shape.target.slice(0, 80)} ${JSON.stringify(headers).slice(0, 300)}`;
        const first = await rawRequest(app.port, req);
        checkAnswer(first, context);
        if (shape.credential && first.status === 402) {
          const header = first.headers.get('www-authenticate')!.join(', ');
          const [challenge] = parseChallenges(header);
          const withCredential = {
            ...req,
            headers: [
              ...headers.filter(([n]) => !/authorization/i.test(n)),
              ...credentialHeaders(challenge!, shape.credential),
            ],
          };
          checkAnswer(await rawRequest(app.port, withCredential), `${context} + credential`);
        }
        checkLedger(app);
      }),
      { numRuns: RAW_RUNS },
    );
    expect((await rawRequest(app.port, { method: 'GET', target: '/free', headers: [] })).status).toBe(200);
  });

  it(`raw sockets: near-valid credentials (tampered, replayed, moved to another route or path form) pay only for the request they were issued for, once (${CREDENTIAL_RUNS} runs)`, async () => {
    const before = app.stats().verifyCalls;
    await fc.assert(
      fc.asyncProperty(credentialShape, async (shape) => {
        const issue = routeRequest(shape.issuedFor);
        const first = await rawRequest(app.port, issue);
        checkAnswer(first, `${surface} ${issue.target}`);
        // Path forms this framework does not route (Fastify is case-sensitive…) are simply 404.
        if (first.status !== 402) return;
        const [challenge] = parseChallenges(first.headers.get('www-authenticate')!.join(', '));
        const use = routeRequest(shape.usedOn);
        const withCredential = {
          ...use,
          headers: [...use.headers, ...shape.extraHeaders, ...credentialHeaders(challenge!, shape.recipe)],
        };
        const context = `${surface} ${JSON.stringify(shape).slice(0, 400)}`;
        const paid = await rawRequest(app.port, withCredential);
        checkAnswer(paid, context);
        if (shape.replay) checkAnswer(await rawRequest(app.port, withCredential), `${context} (replay)`);
        checkLedger(app);
      }),
      { numRuns: CREDENTIAL_RUNS },
    );
    // The property reached the payment method, not only the parsers.
    expect(app.stats().verifyCalls - before).toBeGreaterThan(0);
    // Positive control: a genuine credential pays its own request once, and its replay does not.
    const issued = await rawRequest(app.port, { method: 'GET', target: '/paid/7', headers: [] });
    const [challenge] = parseChallenges(issued.headers.get('www-authenticate')!.join(', '));
    const good = credentialHeaders(challenge!, { proof: 'ok-1', extra: {}, otherField: false, twice: false });
    const paidBefore = app.payments.length;
    const ok = await rawRequest(app.port, { method: 'GET', target: '/paid/7', headers: good });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('payment-receipt')).toBeDefined();
    expect((await rawRequest(app.port, { method: 'GET', target: '/paid/7', headers: good })).status).toBe(
      402,
    );
    expect(app.payments.length - paidBefore).toBe(1);
    checkLedger(app);
  });

  it('raw sockets: framing attacks and edge cases answer cleanly', async () => {
    const cases: [string, Buffer][] = [
      [
        'CR/LF injected into a header value',
        Buffer.from(
          `GET /paid/1 HTTP/1.1\r\nHost: x\r\nX-A: a\rAuthorization: Payment e30\r\nConnection: close\r\n\r\n`,
          'latin1',
        ),
      ],
      [
        'obs-fold continuation line',
        Buffer.from(
          `GET /paid/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Payment\r\n e30\r\nConnection: close\r\n\r\n`,
          'latin1',
        ),
      ],
      [
        'NUL in the request target',
        Buffer.from(`GET /paid/\u00001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'latin1'),
      ],
      [
        'Content-Length and Transfer-Encoding together (smuggling)',
        Buffer.from(
          `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /paid/1 HTTP/1.1\r\nHost: x\r\n\r\n`,
          'latin1',
        ),
      ],
      [
        'two Content-Length values',
        Buffer.from(
          `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab`,
          'latin1',
        ),
      ],
      ['HTTP/1.0 without Host', Buffer.from(`GET /paid/1 HTTP/1.0\r\n\r\n`, 'latin1')],
      [
        'absolute-form target for another host',
        Buffer.from(
          `GET http://evil.example/paid/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
          'latin1',
        ),
      ],
      [
        'Host with a pipe and quotes',
        Buffer.from(`GET /paid/1 HTTP/1.1\r\nHost: a|b"c\r\nConnection: close\r\n\r\n`, 'latin1'),
      ],
      [
        'Host with a space',
        Buffer.from(`GET /mpp/ping HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`, 'latin1'),
      ],
      [
        'empty Host on the mount',
        Buffer.from(`GET /mpp/ping HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n`, 'latin1'),
      ],
      [
        'latin1 Host on the mount',
        Buffer.from(`GET /mpp/ping HTTP/1.1\r\nHost: \u00e9\u00ff\r\nConnection: close\r\n\r\n`, 'latin1'),
      ],
      ['chunked body over the engine limit', chunked('/orders', 70 * 1024)],
      ['request line only, no headers end', Buffer.from('GET /paid/1 HTTP/1.1\r\n\r\n', 'latin1')],
    ];
    for (const [name, bytes] of cases) {
      const r = await rawExchange(app.port, bytes);
      // Node may answer, or close a connection it will not parse; it must never hang or 5xx.
      if (r.status !== undefined) checkAnswer(r, `${surface}: ${name}`);
    }
    checkLedger(app);
  });

  it('a 64 KiB credential is processed (402 invalid, not 431/413/400), as are two credentials (400)', async () => {
    const big = `Payment ${base64url.encode(JSON.stringify({ challenge: { id: 'x'.repeat(48_000) }, payload: {} }))}`;
    const r = await rawRequest(app.port, {
      method: 'GET',
      target: '/paid/1',
      headers: [['Authorization', big]],
    });
    expect(r.status).toBe(402);
    const two = await rawRequest(app.port, {
      method: 'GET',
      target: '/paid/1',
      headers: [
        ['Authorization', 'Payment e30'],
        ['authorization', 'Payment e30'],
      ],
    });
    expect([400, 402]).toContain(two.status);
    checkLedger(app);
  });

  it(`structured: random JSON, form and binary bodies under random content types (${STRUCTURED_RUNS} runs)`, async () => {
    const send = structuredSender(surface, app);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          path: fc.constantFrom('/orders', '/free/echo', '/paid/1', '/mpp/echo', '/orders?x=1'),
          method: fc.constantFrom('POST', 'PUT', 'GET', 'PATCH'),
          contentType,
          body: fc.oneof(
            fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
            fc.string({ maxLength: 500 }),
            fc
              .dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
              .map((d) => new URLSearchParams(d).toString()),
          ),
          junk: fc.option(junkCredential, { nil: undefined }),
        }),
        async (s) => {
          const status = await send(s);
          expect(status, JSON.stringify(s).slice(0, 300)).toBeLessThan(500);
          checkLedger(app);
        },
      ),
      { numRuns: STRUCTURED_RUNS },
    );
  });
});

function chunked(path: string, size: number): Buffer {
  const chunk = Buffer.alloc(8192, 0x61);
  const parts = [
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
    ),
  ];
  for (let sent = 0; sent < size; sent += chunk.length)
    parts.push(Buffer.from('2000\r\n'), chunk, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

interface Structured {
  path: string;
  method: string;
  contentType: string;
  body: string;
  junk?: string | undefined;
}

/** Sends a structured request the way this surface is driven in-process; returns the status. */
function structuredSender(surface: string, app: App): (s: Structured) => Promise<number> {
  const headers = (s: Structured): Record<string, string> => ({
    ...(s.contentType ? { 'content-type': s.contentType } : {}),
    ...(s.junk ? { authorization: s.junk } : {}),
  });
  if (surface === 'fastify' || surface === 'nest-fastify') {
    // inject(): light-my-request builds the request object without a socket.
    const fastify = fastifyOf(app);
    return async (s) =>
      (
        await fastify.inject({
          method: s.method as 'POST',
          url: s.path,
          headers: headers(s),
          payload: s.method === 'GET' ? undefined : s.body,
        })
      ).statusCode;
  }
  if (surface === 'fetch') {
    // The Fetch handler gets the Request a platform would hand it, over a fresh engine counter.
    const handler = fetchHandler(app.mpp, { runs: app.runs, payments: app.payments } as ReturnType<
      typeof counters
    >);
    return async (s) =>
      (
        await handler(
          new Request(`http://127.0.0.1${s.path}`, {
            method: s.method,
            headers: headers(s),
            body: s.method === 'GET' ? undefined : s.body,
          }),
        )
      ).status;
  }
  // supertest over the app's own listening server.
  const agent = supertest(app.url);
  return async (s) => {
    const call = agent[s.method.toLowerCase() as 'post'](s.path).set(headers(s));
    return (await (s.method === 'GET' ? call : call.send(s.body))).status;
  };
}

/** The Fastify instance behind a fastify-based app (kept on the app object by `startApp`). */
function fastifyOf(app: App): FastifyInstance {
  const f = (app as unknown as { fastify?: FastifyInstance }).fastify;
  if (!f) throw new Error(`${app.surface} has no fastify instance`);
  return f;
}

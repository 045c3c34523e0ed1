/**
 * The R46 check itself: it must catch a resource leaking into a refusal, or it proves nothing when
 * every adapter passes it. Fake responses pin each rule; a deliberately leaky gate, run through the
 * real runner, shows the leak is caught even when every other invariant holds.
 */
import type { Server } from 'node:http';
import http from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { checkResourceBoundary, protectedRouteOf } from './checks.js';
import { createContext, type FixtureContext } from './context.js';
import { close, listen, type RawResponse } from './http-client.js';
import { RESOURCE_MARKER } from './routes.js';
import { runScenario } from './runner.js';
import { loadScenarios } from './vectors.js';

function response(status: number, headers: Record<string, string>, body: string): RawResponse {
  const lines = Object.entries(headers).map(([n, v]) => [n.toLowerCase(), v] as const);
  const all = (name: string) => lines.filter(([n]) => n === name).map(([, v]) => v);
  return {
    status,
    lines,
    body: Buffer.from(body),
    all,
    header: (name) => (all(name).length ? all(name).join(', ') : undefined),
  };
}

const PROBLEM = { 'content-type': 'application/problem+json', 'cache-control': 'no-store' };
const problem = (status: number) =>
  JSON.stringify({ type: 'https://paymentauth.org/problems/payment-required', title: 'x', status });
const resource = JSON.stringify({ id: '9', resource: RESOURCE_MARKER });
const GET_PAID = { method: 'GET', path: '/paid/9', handlerRuns: 0 };
const R46 = /\(R46/;

describe('protectedRouteOf', () => {
  it('names a protected route only for a plain target', () => {
    expect(protectedRouteOf('GET', '/paid/9')).toBe('GET /paid/:id');
    expect(protectedRouteOf('HEAD', '/paid/9?a=1')).toBe('GET /paid/:id');
    expect(protectedRouteOf('POST', '/paid/9')).toBeUndefined();
    for (const bypass of [
      '/paid/9/',
      '/paid%2F9',
      '/PAID/9',
      '//paid/9',
      '/free/../paid/9',
      '/mpp/ping',
      '/free',
    ])
      expect(protectedRouteOf('GET', bypass), bypass).toBeUndefined();
  });
});

describe('checkResourceBoundary (R46)', () => {
  it("accepts the engine's problem documents and the marked resource", () => {
    checkResourceBoundary(response(402, PROBLEM, problem(402)), GET_PAID);
    checkResourceBoundary(response(503, PROBLEM, problem(503)), GET_PAID);
    checkResourceBoundary(response(402, PROBLEM, ''), { ...GET_PAID, method: 'HEAD' });
    checkResourceBoundary(response(402, { 'content-type': 'text/html; charset=utf-8' }, '<html>'), GET_PAID);
    checkResourceBoundary(response(200, { 'content-type': 'application/json' }, resource), {
      ...GET_PAID,
      handlerRuns: 1,
    });
  });

  it('catches the resource in a refusal: the whole of it, appended to a problem, or in a header', () => {
    const leaks = [
      response(402, PROBLEM, resource),
      response(402, PROBLEM, problem(402) + resource),
      response(402, { ...PROBLEM, 'x-partial': RESOURCE_MARKER }, problem(402)),
      response(500, { 'content-type': 'text/plain' }, `stream ${RESOURCE_MARKER}`),
    ];
    for (const res of leaks) expect(() => checkResourceBoundary(res, GET_PAID)).toThrow(R46);
    // Wherever it happens, even on an unprotected or unrecognised target.
    expect(() => checkResourceBoundary(leaks[0]!, { ...GET_PAID, path: '/paid%2F9' })).toThrow(R46);
  });

  it('requires a problem document from the payment layer, never partial or framework content', () => {
    const notProblems = [
      response(402, { 'content-type': 'application/json' }, problem(402)),
      response(500, { 'content-type': 'text/html' }, '<h1>Internal Server Error</h1>'),
      response(402, PROBLEM, '{"type":"https://paymentauth.org/problems/payment-required"'),
      response(402, PROBLEM, problem(400)),
    ];
    for (const res of notProblems) expect(() => checkResourceBoundary(res, GET_PAID)).toThrow(R46);
    // A handler that only succeeds ran, yet the answer is a failure: still the payment layer's.
    expect(() => checkResourceBoundary(notProblems[1]!, { ...GET_PAID, handlerRuns: 1 })).toThrow(R46);
  });

  it("leaves a failing handler's own answer alone, but not the same answer when no handler ran", () => {
    const failed = response(500, { 'content-type': 'text/plain' }, 'failed');
    checkResourceBoundary(failed, { method: 'GET', path: '/fail/500', handlerRuns: 1 });
    expect(() => checkResourceBoundary(failed, { method: 'GET', path: '/fail/500', handlerRuns: 0 })).toThrow(
      R46,
    );
  });

  it('fails a 2xx of a protected route without the marker, so the rules above are never vacuous', () => {
    const unmarked = response(200, { 'content-type': 'application/json' }, '{"id":"9"}');
    expect(() => checkResourceBoundary(unmarked, { ...GET_PAID, handlerRuns: 1 })).toThrow(
      /R46 relies on it/,
    );
  });
});

describe('a leaky gate run through the suite', () => {
  const scenario = loadScenarios().find((s) => s.name === 'no refusal carries the resource')!;
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await close(server);
    server = undefined;
  });

  /**
   * `GET /paid/:id` behind a gate that runs the handler before deciding and, on a refusal, appends
   * the handler's output to the engine's problem (`partial`) or answers with it instead (`whole`).
   * Status, challenge, `Cache-Control` and content type stay the engine's, so only R46 can object.
   */
  async function run(leak: 'none' | 'partial' | 'whole') {
    const state = createContext('leaky');
    const ctx: FixtureContext = state.context;
    const handler = (id: string) => JSON.stringify({ id, resource: RESOURCE_MARKER });
    const gate = ctx.mpp.protect<{ id: string }>(ctx.routes['GET /paid/:id'], (_request, c) => {
      ctx.ran('GET /paid/:id');
      return new Response(handler(c.id), { headers: { 'content-type': 'application/json' } });
    });
    server = http.createServer(
      getRequestListener(
        async (request) => {
          const id = new URL(request.url).pathname.split('/')[2] ?? '';
          const early = handler(id);
          const answer = await gate(request, { id });
          if (answer.status < 400 || leak === 'none') return answer;
          const body = leak === 'whole' ? early : (await answer.text()) + early;
          return new Response(request.method === 'HEAD' ? null : body, {
            status: answer.status,
            headers: answer.headers,
          });
        },
        { overrideGlobalObjects: false },
      ),
    );
    await listen(server);
    return runScenario(scenario, server, state);
  }

  it('passes the scenario when nothing leaks', async () => {
    await run('none');
  });

  it('fails it when the resource is appended to the 402', async () => {
    await expect(run('partial')).rejects.toThrow(/step 1 .*no part of the protected resource \(R46\)/);
  });

  it('fails it when the 402 carries the resource instead of the problem', async () => {
    await expect(run('whole')).rejects.toThrow(/step 1 .*no part of the protected resource \(R46\)/);
  });
});

import http, { type RequestListener, type Server } from 'node:http';
import { afterAll, describe, it } from 'vitest';
import { createContext, type FixtureContext } from './context.js';
import { closeSharedSandbox, createHitPayContext } from './hitpay-profile.js';
import { close, listen } from './http-client.js';
import { runScenario } from './runner.js';
import { CAPABILITIES, type Capability, loadScenarios, type Scenario, scenarioTitle } from './vectors.js';

/**
 * What a fixture returns: what supertest would drive — a Node request listener (Express app,
 * `koa.callback()`, a Fetch handler behind a Node wrapper) or an `http.Server` (Fastify's
 * `app.server` after `ready()`, Nest's `getHttpServer()` after `init()`), optionally with a `close`.
 */
export type AppHandle =
  | RequestListener
  | Server
  | { server: RequestListener | Server; close?: () => unknown | Promise<unknown> };

/** An adapter under test: builds the standard fixture app for one scenario. */
export interface ConformanceFixture {
  /** The adapter's name: the vitest `describe` title its results are listed under. */
  name: string;
  /**
   * The ways this adapter declares protected routes (route map vs route middleware, …). The whole
   * suite runs once per variant, in a nested `describe`; the fixture reads `ctx.variant`.
   */
  variants?: readonly string[];
  /** Builds a fresh app (fresh engine, counters and stores) for one scenario. */
  build(ctx: FixtureContext): AppHandle | Promise<AppHandle>;
}

export interface ConformanceOptions {
  /** What the fixture supports (default: every capability). Scenarios needing more are skipped. */
  capabilities?: readonly Capability[];
  /**
   * Scenarios expected to fail, by name (or `variant/name`), each with its reason. They run as
   * `it.fails`, so one that starts passing fails the suite until its entry is removed.
   */
  knownFailing?: Readonly<Record<string, string>>;
}

function normalize(handle: AppHandle): { server: Server; close: () => Promise<void> } {
  const wrapped = typeof handle === 'object' && 'server' in handle ? handle : { server: handle };
  const target = wrapped.server;
  const server = typeof target === 'function' ? http.createServer(target) : target;
  return {
    server,
    async close() {
      await close(server);
      await wrapped.close?.();
    },
  };
}

/**
 * Registers the conformance suite for one adapter: `describe(fixture.name)` holding one `it` per
 * scenario vector (per variant), titled `<requirements> <scenario name>`.
 *
 * @example
 * defineConformanceSuite({ name: 'express', variants: ['route-map', 'protect'], build: (ctx) => buildApp(ctx) });
 */
export function defineConformanceSuite(fixture: ConformanceFixture, options: ConformanceOptions = {}): void {
  const scenarios = loadScenarios();
  const capabilities = new Set(options.capabilities ?? CAPABILITIES);
  const knownFailing = options.knownFailing ?? {};
  const variants = fixture.variants ?? ['default'];
  const names = new Set(scenarios.flatMap((s) => [s.name, ...variants.map((v) => `${v}/${s.name}`)]));
  for (const key of Object.keys(knownFailing)) {
    if (!names.has(key)) throw new Error(`${fixture.name}: knownFailing names no scenario: "${key}"`);
  }

  const register = (variant: string, scenario: Scenario): void => {
    const title = scenarioTitle(scenario);
    const missing = (scenario.capabilities ?? []).filter((c) => !capabilities.has(c));
    if (missing.length > 0) {
      it.skip(`${title} (needs ${missing.join(', ')})`, () => {});
      return;
    }
    const reason =
      knownFailing[`${variant}/${scenario.name}`] ??
      knownFailing[scenario.name] ??
      (scenario.knownIssue && `core: ${scenario.knownIssue}`);
    const test = reason ? it.fails : it;
    test(reason ? `${title} [known failing: ${reason}]` : title, async () => {
      const state =
        scenario.config?.profile === 'hitpay'
          ? await createHitPayContext(variant)
          : createContext(variant, scenario.config);
      const app = normalize(await fixture.build(state.context));
      await listen(app.server);
      try {
        await runScenario(scenario, app.server, state);
      } finally {
        await app.close();
      }
    });
  };

  describe(fixture.name, () => {
    afterAll(closeSharedSandbox);
    for (const variant of variants) {
      if (variants.length === 1) for (const s of scenarios) register(variant, s);
      else
        describe(variant, () => {
          for (const s of scenarios) register(variant, s);
        });
    }
  });
}

import type { Readable } from 'node:stream';
import {
  type Mpp,
  type MppSource,
  mppOf,
  type PassDecision,
  type Payment,
  type RespondDecision,
  type RouteInput,
} from '@hit-pay/mpp';
import { fromNodeStream, groupHeaders, headerText, settleNodeResponse } from '@hit-pay/mpp/node';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preParsingAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

const PKG = '@hit-pay/mpp-fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The `Mpp` in use (subscribe to events with `fastify.mpp.on('paid', …)`). */
    mpp: Mpp;
  }
  interface FastifyContextConfig {
    /** Price (or route config) charged before this route's handler runs. */
    mpp?: RouteInput;
  }
  interface FastifyRequest {
    /** The verified payment on a paid request; null elsewhere. */
    mpp: Payment | null;
  }
}

/** Options of {@link mppPlugin}: core's `createMpp` options, or an `Mpp` you already created as `{ mpp }`. */
export type MppPluginOptions = MppSource;

function send(reply: FastifyReply, decision: RespondDecision): void {
  reply.code(decision.status);
  for (const [name, value] of groupHeaders(decision.headers, (n) => reply.getHeader(n)))
    reply.header(name, value);
  const body = decision.body;
  reply.send(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

const plugin: FastifyPluginAsync<MppPluginOptions> = async function mppFastify(fastify, options) {
  const mpp = mppOf(options, PKG);
  const engine = mpp.engine;
  const fromPayload = (request: FastifyRequest, payload: Readable) =>
    fromNodeStream(request.raw, payload, engine.options);
  const passes = new WeakMap<FastifyRequest, PassDecision>();

  if (!fastify.hasDecorator('mpp')) fastify.decorate('mpp', mpp);
  if (!fastify.hasRequestDecorator('mpp')) fastify.decorateRequest('mpp', null);

  // Start-up validation: a bad price throws while the route is being registered. The route is
  // published for discovery under its own path.
  fastify.addHook('onRoute', function mppCompileRoute(route) {
    const input = route.config?.mpp;
    if (input === undefined) return;
    const compiled = engine.routeOf(input, `${route.method} ${route.url}`);
    for (const method of [route.method].flat()) engine.publish(method, route.url, compiled);
    // Settlement runs on the priced routes only, so the others keep Fastify's hook-free reply path.
    // A priced route declared before this plugin (no onSend here) settles at writeHead instead.
    const own = route.onSend;
    route.onSend = own === undefined ? [mppSettle] : [...(Array.isArray(own) ? own : [own]), mppSettle];
  });

  // One hook for every route, so a route declared before this plugin loaded is still gated (it
  // fails closed, compiled on first use). Deciding before parsing puts 402s ahead of 415s and
  // validation errors, as in the other adapters.
  // Callback-style: on an unprotected route it answers synchronously, without the promise an async
  // hook costs on every request of the app.
  fastify.addHook('preParsing', function mppGate(request, reply, payload, done) {
    const config = request.routeOptions.config;
    if (config.mpp === undefined) {
      done(null, payload);
      return;
    }
    gate(request, reply, payload, config).then(
      (rest) => done(null, rest),
      (error: Error) => done(error),
    );
  });
  async function gate(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: Readable,
    config: FastifyRequest['routeOptions']['config'],
  ): Promise<Readable> {
    const route = engine.routeOf(config.mpp!, `${config.method} ${config.url}`);
    const { req, rest } = fromPayload(request, payload);
    const decision = await engine.decide(req, route);
    if (decision.kind === 'respond') send(reply, decision);
    else if (decision.kind === 'pass') {
      request.mpp = decision.payment;
      passes.set(request, decision);
      // Safety net for replies that bypass onSend (reply.hijack()) and for aborted requests.
      settleNodeResponse(reply.raw, decision);
    }
    return rest();
  }

  // Fastify's own post-handler hook (onSend of the priced routes, added in onRoute above): the status
  // is final and headers are still the reply's.
  function mppSettle(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error?: Error | null, payload?: unknown) => void,
  ): void {
    const pass = passes.get(request);
    if (pass) {
      try {
        const extra = pass.finalize(reply.statusCode, (name) => headerText(reply.getHeader(name)));
        for (const [name, value] of extra) reply.header(name, value);
      } catch (error) {
        done(error as Error);
        return;
      }
    }
    done(null, payload);
  }

  // The engine's mounted routes (the embedded broker, the discovery document), answered before
  // Fastify parses their bodies.
  const mounted = engine.mountedPaths('*');
  if (mounted.length > 0) {
    const mppMounted: preParsingAsyncHookHandler = async (request, reply, payload) => {
      const { req, rest } = fromPayload(request, payload);
      const decision = await engine.handle(req);
      if (decision.kind === 'respond') send(reply, decision);
      return rest();
    };
    for (const url of mounted) {
      fastify.all(url, { preParsing: mppMounted }, (_request, reply) => reply.callNotFound());
    }
  }
};

/**
 * Fastify plugin for HitPay MPP. Routes opt in with `config: { mpp: price }`; paid requests get
 * `request.mpp`, the receipt is added on 2xx, and any other answer releases the payment. It adds
 * hooks and a request decorator only — the app's content-type parsers are untouched — and serves
 * the engine's mounted routes under its prefix. Options are validated at `register`.
 *
 * Register it (and await it) before the routes and plugins it protects.
 *
 * @example
 * await fastify.register(mppPlugin); // HitPay settings from the environment (HITPAY_API_KEY, …)
 * fastify.get('/forecast/:zip', { config: { mpp: { amount: '1.00', currency: 'SGD' } } }, async (req) => req.mpp);
 */
export const mppPlugin = fp(plugin, { fastify: '5.x', name: PKG });
export default mppPlugin;

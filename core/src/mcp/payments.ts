import { MppEngine } from '../engine/engine.js';
import type { CompiledRoute } from '../engine/route.js';
import type { Payment, RouteInput } from '../engine/types.js';
import type { Mpp } from '../fetch.js';
import { MppConfigError } from '../protocol/errors.js';
import { isJsonObject } from '../protocol/json.js';
import {
  CREDENTIAL_META,
  errorFor,
  isRequest,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
  RECEIPT_META,
} from './jsonrpc.js';
import { credentialsOf, type Operation, operationOf, routeKey, toMppRequest } from './request.js';
import { type McpTransport, type WrappedTransport, wrapTransport } from './transport.js';

const PKG = '@hit-pay/mpp/mcp';

/** Options of {@link mcpPayments}: what is priced, by MCP name or JSON-RPC method. */
export interface McpPaymentsOptions {
  /** Priced MCP tools (`tools/call`) by tool name: a Price, a price function or a route config. */
  tools?: Record<string, RouteInput>;
  /** Priced MCP prompts (`prompts/get`) by prompt name. */
  prompts?: Record<string, RouteInput>;
  /** Priced MCP resources (`resources/read`) by exact URI. */
  resources?: Record<string, RouteInput>;
  /** Priced plain JSON-RPC methods (not MCP): the receipt goes in the response's root `_meta`. */
  methods?: Record<string, RouteInput>;
  /**
   * The challenges' `realm` when the engine has none (there is no Host header to take it from).
   * Default: the engine's `realm` option, else `"mcp"`. Giving one that differs from the engine's is
   * a configuration error.
   */
  realm?: string;
  /**
   * Adds `capabilities.experimental.payment` (the priced methods and their intents) to the
   * `initialize` result, as the draft recommends. Default true.
   */
  advertise?: boolean;
}

/**
 * The next handler of {@link McpPayments.handle}: answers one message (undefined for a
 * notification). A priced request reaches it paid, with its `payment` and without the credential.
 */
export type JsonRpcNext = (
  message: JsonRpcRequest,
  payment?: Payment,
) => JsonRpcResponse | undefined | Promise<JsonRpcResponse | undefined>;

/** The Payment scheme over JSON-RPC and MCP. Built by {@link mcpPayments}. */
export interface McpPayments {
  readonly engine: MppEngine;
  /**
   * JSON-RPC middleware: gates a priced request (a refusal is answered here, `next` never runs),
   * passes everything else to `next` untouched, settles a paid request by its answer (a `result`
   * commits — unless it is an MCP tool result with `isError: true` — anything else releases) and
   * adds the receipt to a paid success. Returns undefined for notifications; accepts a batch.
   */
  handle(
    message: JsonRpcMessage | JsonRpcMessage[],
    next: JsonRpcNext,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined>;
  /**
   * The verified payment of a paid MCP request, from its `params` or an SDK handler's `extra`
   * (whose `_meta` is the request's): `payments.paymentOf(extra)`. Undefined when unpaid.
   */
  paymentOf(holder: { _meta?: unknown } | undefined): Payment | undefined;
  /**
   * Wraps an MCP SDK transport (stdio, Streamable HTTP, in-memory: anything with `start`, `send`,
   * `close` and `onmessage`) so a server connected to it is gated: `server.connect(payments.wrap(t))`.
   * Priced requests go through `handle` before the SDK sees them; their answers come back through
   * it. A paid request that is cancelled, or whose connection closes before it is answered, releases.
   */
  wrap<T extends McpTransport>(transport: T): WrappedTransport<T>;
  /** The `experimental.payment` capability object: `{ methods: { test: { intents: ['charge'] } } }`. */
  readonly capability: { methods: Record<string, { intents: string[] }> };
}

/** Checks a realm once, as the gate would per request had it come from a Host header. */
const UNSAFE_REALM = /[|"\\\s\u0000-\u001f\u007f]/;

/**
 * The Payment scheme over JSON-RPC 2.0 and MCP (draft-payment-transport-mcp-00): the same gate as
 * HTTP — challenges, verification, settlement and receipts come from the engine — with the
 * JSON-RPC wire: -32042 / -32043 errors carrying challenge objects, credentials and receipts in
 * `_meta`. Routes are compiled now; a bad price throws MppConfigError.
 *
 * @example
 * const payments = mcpPayments(mpp, { tools: { forecast: { amount: '0.50', currency: 'sgd' } } })
 * const answer = await payments.handle(message, (paid, payment) => myJsonRpcServer.handle(paid))
 */
export function mcpPayments(mpp: Mpp | MppEngine, options: McpPaymentsOptions = {}): McpPayments {
  const given = mpp instanceof MppEngine ? mpp : (mpp as Mpp | undefined)?.engine;
  if (!(given instanceof MppEngine))
    throw new MppConfigError(PKG, 'mpp', 'must be createMpp(…) or an MppEngine');
  const engine: MppEngine = given;
  const realm = resolveRealm(engine, options.realm);
  const routes = new Map<string, CompiledRoute>();
  const compile = (option: keyof McpPaymentsOptions, prefix: string) => {
    const table = options[option];
    if (table === undefined) return;
    if (!isJsonObject(table)) throw new MppConfigError(PKG, option, 'must be an object');
    for (const [name, input] of Object.entries(table as Record<string, RouteInput>)) {
      routes.set(`${prefix} ${name}`, engine.route(input, `${option}["${name}"]`));
    }
  };
  compile('tools', 'tools/call');
  compile('prompts', 'prompts/get');
  compile('resources', 'resources/read');
  compile('methods', 'rpc');
  for (const mcp of ['tools/call', 'prompts/get', 'resources/read'])
    if (routes.has(`rpc ${mcp}`))
      throw new MppConfigError(
        PKG,
        `methods["${mcp}"]`,
        `is priced per name: use the ${mcp.split('/')[0]} option`,
      );
  if (routes.size === 0)
    throw new MppConfigError(PKG, 'tools', 'nothing is priced: give tools, prompts, resources or methods');
  const capability = capabilityOf(routes);
  const advertise = options.advertise !== false;
  const payments = new WeakMap<object, Payment>();

  async function handleOne(message: JsonRpcMessage, next: JsonRpcNext): Promise<JsonRpcResponse | undefined> {
    if (!isRequest(message)) return next(message as JsonRpcRequest);
    const key = routeKey(message);
    const route = key === undefined ? undefined : routes.get(key);
    if (!route) {
      const answer = await next(message);
      return advertise && message.method === 'initialize' ? withCapability(answer, capability) : answer;
    }
    // Payment needs an answer to carry the challenge: a priced notification is dropped (R65).
    if (!('id' in message)) {
      engine.options.logger.debug({ route: route.label }, 'priced JSON-RPC notification dropped');
      return undefined;
    }
    const id = message.id ?? null;
    const op = operationOf(message);
    const decision = await engine.decide(toMppRequest(op, credentialsOf(message), realm), route);
    if (decision.kind === 'respond') return errorFor(id, decision);
    if (decision.kind === 'next') return next(message);
    let answer: JsonRpcResponse | undefined;
    try {
      answer = await next(paidMessage(message, op, decision.payment, payments), decision.payment);
    } catch (error) {
      decision.finalize(500);
      throw error;
    }
    const ok = succeeded(answer, op);
    decision.finalize(ok ? 200 : 500);
    return ok ? withReceipt(answer!, op, decision.payment) : answer;
  }

  /** The messages `wrap` must route through `handle`: priced ones, and `initialize` to advertise. */
  const intercepts = (message: unknown): message is JsonRpcRequest => {
    if (!isRequest(message)) return false;
    const key = routeKey(message);
    return (key !== undefined && routes.has(key)) || (advertise && message.method === 'initialize');
  };

  return {
    engine,
    capability,
    async handle(message, next) {
      if (!Array.isArray(message)) return handleOne(message, next);
      const answers = await Promise.all(message.map((m) => handleOne(m, next)));
      const out = answers.filter((a): a is JsonRpcResponse => a !== undefined);
      return out.length > 0 ? out : undefined;
    },
    wrap: (transport) => wrapTransport(transport, intercepts, handleOne),
    paymentOf(holder) {
      const meta = holder?._meta;
      return typeof meta === 'object' && meta !== null ? payments.get(meta) : undefined;
    },
  };
}

function resolveRealm(engine: MppEngine, given: string | undefined): string {
  const own = engine.options.realm;
  if (given !== undefined) {
    if (typeof given !== 'string' || given === '' || UNSAFE_REALM.test(given))
      throw new MppConfigError(PKG, 'realm', 'must be a non-empty string without spaces, quotes or "|"');
    if (own !== undefined && own !== given)
      throw new MppConfigError(
        PKG,
        'realm',
        `differs from the engine's realm "${own}", which challenges use`,
      );
    return given;
  }
  return own ?? 'mcp';
}

function capabilityOf(routes: Map<string, CompiledRoute>): McpPayments['capability'] {
  const methods: Record<string, { intents: string[] }> = {};
  for (const route of routes.values()) {
    for (const { method } of route.offers) {
      const intents = methods[method.name]?.intents ?? [];
      if (!intents.includes(method.intent)) intents.push(method.intent);
      methods[method.name] = { intents };
    }
  }
  return Object.freeze({ methods });
}

/**
 * The message the handler sees: the credential removed from both `_meta`s (handlers need the
 * payment, not the payer's proof, which must not reach their logs) and, for MCP, a fresh
 * `params._meta` keyed to the payment for `paymentOf` — an object the client cannot forge.
 */
function paidMessage(
  message: JsonRpcRequest,
  op: Operation,
  payment: Payment,
  payments: WeakMap<object, Payment>,
): JsonRpcRequest {
  const out: JsonRpcRequest = { ...message };
  if (isJsonObject(message._meta)) {
    const { [CREDENTIAL_META]: _root, ...rest } = message._meta;
    if (Object.keys(rest).length > 0) out._meta = rest;
    else delete out._meta;
  }
  if (isJsonObject(message.params)) {
    const params = message.params;
    const { [CREDENTIAL_META]: _nested, ...meta } = isJsonObject(params._meta) ? params._meta : {};
    if (op.kind === 'mcp') payments.set(meta, payment);
    out.params = { ...params, _meta: meta };
  }
  return out;
}

/** A paid request succeeded: a `result`, and for MCP tools not an `isError` result (a failed call). */
function succeeded(answer: JsonRpcResponse | undefined, op: Operation): boolean {
  if (answer === undefined || !('result' in answer) || answer.error !== undefined) return false;
  return !(op.kind === 'mcp' && isJsonObject(answer.result) && answer.result.isError === true);
}

/** Adds the receipt: in `result._meta` for MCP (whose results are objects), else at the root. */
function withReceipt(answer: JsonRpcResponse, op: Operation, payment: Payment): JsonRpcResponse {
  const result = answer.result;
  if (op.kind === 'mcp' && isJsonObject(result)) {
    const meta = isJsonObject(result._meta) ? result._meta : {};
    return { ...answer, result: { ...result, _meta: { ...meta, [RECEIPT_META]: payment.receipt } } };
  }
  const meta = isJsonObject(answer._meta) ? answer._meta : {};
  return { ...answer, _meta: { ...meta, [RECEIPT_META]: payment.receipt } };
}

/** Adds `capabilities.experimental.payment` to an `initialize` result that does not have one. */
function withCapability(
  answer: JsonRpcResponse | undefined,
  capability: McpPayments['capability'],
): JsonRpcResponse | undefined {
  const result = answer?.result;
  if (!isJsonObject(result) || !isJsonObject(result.capabilities)) return answer;
  const caps = result.capabilities;
  const experimental = isJsonObject(caps.experimental) ? caps.experimental : {};
  if ('payment' in experimental) return answer;
  return {
    ...answer!,
    result: {
      ...result,
      capabilities: { ...caps, experimental: { ...experimental, payment: capability } },
    },
  };
}

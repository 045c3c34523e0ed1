import { type CompiledRoute, parseRouteKey } from '../engine/route.js';
import type { JsonValue } from '../protocol/json.js';
import type { ResolvedDiscovery } from './options.js';

/** One priced operation the engine knows: method (upper-case, `*` for any), path pattern, route. */
export interface DiscoveryOperation {
  readonly method: string;
  readonly path: string;
  readonly route: CompiledRoute;
}

/** One offer of `x-payment-info` (the draft's Payment Offer Object; no other members are allowed). */
export interface PaymentOffer {
  intent: string;
  method: string;
  /** Minor units, or null when the price is computed per request. */
  amount: string | null;
  currency?: string;
  description?: string;
}

/** A JSON object (the document and its parts). */
export type JsonObject = { [key: string]: JsonValue };

/** The intents the discovery schema admits (`enum: ["charge", "session"]`). */
const INTENTS = new Set(['charge', 'session']);
/** The operations an OpenAPI 3.1 Path Item can hold. */
const OPENAPI_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
/** What a method-less route (`'/files/*'`) charges: every method but OPTIONS (see RouteTable). */
const ANY_METHOD = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * The `x-payment-info` of a route: one offer per payment method, in challenge order — the same
 * method, intent, amount and currency the 402 carries. A method that cannot summarize its price
 * at start-up is published with `amount: null` (dynamic); the 402 is authoritative either way.
 * Undefined when no offer has an intent the draft's schema admits.
 */
export function paymentInfo(route: CompiledRoute): { offers: PaymentOffer[] } | undefined {
  const offers: PaymentOffer[] = [];
  for (const { method, route: r } of route.offers) {
    if (!INTENTS.has(method.intent)) continue;
    const s = r.summary;
    const offer: PaymentOffer = { intent: method.intent, method: method.name, amount: s?.amount ?? null };
    if (s?.currency !== undefined) offer.currency = s.currency;
    if (s?.description !== undefined) offer.description = s.description;
    offers.push(offer);
  }
  return offers.length > 0 ? { offers } : undefined;
}

/**
 * An Express-style pattern as an OpenAPI path template: `/forecast/:zip` → `/forecast/{zip}`,
 * `/files/*` → `/files/{wildcard}` (OpenAPI cannot say "the rest of the path", so the parameter's
 * description does), a trailing slash dropped as the route table ignores it.
 */
export function toOpenApiPath(pattern: string): { path: string; parameters: JsonObject[] } {
  const parameters: JsonObject[] = [];
  const names = new Set<string>();
  const param = (base: string, description?: string): string => {
    let name = base;
    for (let i = 2; names.has(name); i++) name = `${base}${i}`;
    names.add(name);
    const p: JsonObject = { name, in: 'path', required: true, schema: { type: 'string' } };
    if (description) p.description = description;
    parameters.push(p);
    return `{${name}}`;
  };
  const segments = pattern.split('/').map((seg) => {
    if (seg === '*') return param('wildcard', 'The rest of the path (any characters, "/" included)');
    // `:name`, with Express/Fastify suffixes (`:id(\\d+)`, `:id?`) dropped.
    return seg.replace(/:([A-Za-z0-9_$]+)(\([^)]*\))?\??/g, (_m, name: string) => param(name));
  });
  const path = segments.join('/').replace(/(.)\/$/, '$1');
  return { path: path === '' ? '/' : path, parameters };
}

/** `'GET /reports/:id'` → `{ method: 'GET', path: '/reports/:id' }`, or undefined when malformed. */
export function parseOperation(text: unknown): { method: string; path: string } | undefined {
  const op = typeof text === 'string' ? parseRouteKey(text) : undefined;
  // A route map key may leave the method out (`'*'`); an operation must name one OpenAPI knows.
  return op && OPENAPI_METHODS.has(op.method.toLowerCase()) ? op : undefined;
}

/** The 402 answer every payable operation declares. */
const PAYMENT_REQUIRED: JsonObject = {
  description: 'Payment Required',
  headers: { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/PaymentProblem' } } },
};

const PAID: JsonObject = {
  description: 'Paid: the resource, with the receipt in Payment-Receipt',
  headers: { 'Payment-Receipt': { $ref: '#/components/headers/Payment-Receipt' } },
};

const COMPONENTS: JsonObject = {
  securitySchemes: {
    payment: {
      type: 'http',
      scheme: 'Payment',
      description: 'The "Payment" HTTP authentication scheme: answer a 402 challenge with a credential',
    },
  },
  headers: {
    'WWW-Authenticate': {
      description:
        'One Payment challenge per offer (id, realm, method, intent, request, expires). The challenge, not this document, is authoritative.',
      schema: { type: 'string' },
    },
    'Payment-Receipt': {
      description: 'The payment receipt, base64url-encoded JSON',
      schema: { type: 'string' },
    },
  },
  schemas: {
    PaymentProblem: {
      type: 'object',
      description: 'An RFC 9457 problem; on a 402, `challenges` summarizes the WWW-Authenticate challenges',
      required: ['type', 'title', 'status'],
      properties: {
        type: { type: 'string', format: 'uri' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        challengeId: { type: 'string' },
        challenges: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'method', 'intent'],
            properties: {
              id: { type: 'string' },
              method: { type: 'string' },
              intent: { type: 'string' },
              expires: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
  },
};

/**
 * Builds the OpenAPI 3.1 discovery document of the priced operations. Where two routes claim the
 * same operation the first wins, as in the route table; a `HEAD` route beside a `GET` one is left
 * out (HEAD is served by GET); a method OpenAPI cannot name (`PROPFIND`) and an operation with no
 * offer the draft's schema admits (an intent other than charge or session) are left out too.
 */
export function buildOpenApiDocument(
  info: ResolvedDiscovery,
  operations: Iterable<DiscoveryOperation>,
): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const op of operations) {
    const methods = op.method === '*' ? ANY_METHOD : [op.method.toLowerCase()];
    const payment = paymentInfo(op.route);
    if (!payment) continue;
    const { path, parameters } = toOpenApiPath(op.path);
    for (const method of methods) {
      if (!OPENAPI_METHODS.has(method)) continue;
      paths[path] ??= {};
      const item = paths[path];
      if (item[method] !== undefined) continue;
      const operation: JsonObject = {};
      if (parameters.length > 0) operation.parameters = parameters;
      operation.security = [{ payment: [] }];
      operation['x-payment-info'] = payment as unknown as JsonObject;
      operation.responses = { '2XX': PAID, '402': PAYMENT_REQUIRED };
      item[method] = operation;
    }
  }
  for (const item of Object.values(paths)) if (item.get && item.head) delete item.head;
  const doc: JsonObject = { openapi: '3.1.0', info: { title: info.title, version: info.version } };
  if (info.description !== undefined) (doc.info as JsonObject).description = info.description;
  if (info.servers.length > 0) doc.servers = info.servers.map((url) => ({ url }));
  if (info.categories || info.docs) {
    const service: JsonObject = {};
    if (info.categories) service.categories = [...info.categories];
    if (info.docs) service.docs = { ...info.docs };
    doc['x-service-info'] = service;
  }
  doc.paths = paths;
  doc.components = COMPONENTS;
  return doc;
}

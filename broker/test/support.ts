/**
 * Test worlds: the sandbox (offline HitPay over real HTTP), a broker on PGlite or PostgreSQL, and
 * an API built with core's `createMpp` served over real HTTP, so tests drive the broker the way
 * the server side and agents do.
 */

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createMpp, type Mpp } from '@hit-pay/mpp';
import {
  base64url,
  type Challenge,
  canonicalize,
  computeChallengeId,
  formatCredential,
  formatTimestamp,
  parseChallenges,
  parseReceipt,
} from '@hit-pay/mpp/protocol';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { POSTGRES_URL, serviceAvailable } from '../../test-support/services.ts';
import { type BrokerOptions, createBroker, type MppBroker } from '../src/index.js';

export const SECRET = 'broker-test-secret-broker-test-secret-0123456789';

/** A storage backend: PGlite in memory always, PostgreSQL when it is up (skipped loudly otherwise). */
export interface Backend {
  name: 'pglite' | 'postgres';
  database: string;
  schema?: string;
}

const pgUp = await serviceAvailable('postgres');
export const postgresAvailable = pgUp;

/** PGlite, plus PostgreSQL in a schema of its own when available. */
export function backends(label: string): Backend[] {
  const list: Backend[] = [{ name: 'pglite', database: 'memory://' }];
  if (pgUp) list.push({ name: 'postgres', database: POSTGRES_URL, schema: `mpp_t_${label}_${process.pid}` });
  return list;
}

/** Drops a test schema (PostgreSQL) after its brokers closed. */
export async function dropSchema(backend: Backend): Promise<void> {
  if (backend.name !== 'postgres' || !backend.schema) return;
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${backend.schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A clock tests can move forward. */
export function testClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
    reset() {
      offset = 0;
    },
  };
}

/** A Fetch handler served over real HTTP. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serveFetch(handler: (request: Request) => Promise<Response>): Promise<Served> {
  const server = http.createServer(async (req, res) => {
    try {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, String(v));
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
        duplex: 'half',
      } as RequestInit);
      const response = await handler(request);
      const out: Record<string, string> = {};
      response.headers.forEach((v, k) => {
        out[k] = v;
      });
      res.writeHead(response.status, out);
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      res.writeHead(599);
      res.end(String(error));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Broker options every test uses: no timer, fast HitPay retries, the test clock. */
export function brokerOptions(
  backend: Backend,
  clock: { now(): number },
  extra: BrokerOptions = {},
): BrokerOptions {
  return {
    database: backend.database,
    ...(backend.schema ? { schema: backend.schema } : {}),
    secretKey: SECRET,
    reconcileIntervalMs: 0,
    pollIntervalMs: 0,
    hitpay: { retryBaseDelayMs: 5, timeoutMs: 3000 },
    now: clock.now,
    ...extra,
  };
}

/** Sandbox + broker + an API (core's createMpp) over HTTP, one merchant. */
export interface World {
  sandbox: Sandbox;
  broker: MppBroker;
  api: Served;
  mpp: Mpp;
  apiKey: string;
  apiSalt: string;
  webhookSalt: string;
  clock: ReturnType<typeof testClock>;
  close(): Promise<void>;
}

/** Routes of the test API: a one-time priced route and a saved-method route. */
export async function startWorld(
  backend: Backend,
  opts: { apiKey: string; broker?: BrokerOptions; sandbox?: Sandbox; v1Webhooks?: boolean } = {
    apiKey: 'test_world',
  },
): Promise<World> {
  const clock = testClock();
  const sandbox = opts.sandbox ?? (await startSandbox({ webhookRetryDelaysMs: [50, 100] }));
  const broker = await createBroker(brokerOptions(backend, clock, opts.broker));
  let mpp!: Mpp;
  let routes!: (r: Request) => Promise<Response>;
  const api = await serveFetch(async (request) => (await mpp.handle(request)) ?? routes(request));
  const apiSalt = sandbox.business(opts.apiKey).salt;
  const endpoint = sandbox.registerWebhookEndpoint(opts.apiKey, { url: `${api.url}/mpp/v1/webhook/hitpay` });
  mpp = createMpp({
    apiKey: opts.apiKey,
    ...(opts.v1Webhooks === false ? {} : { apiSalt }),
    webhookSalt: endpoint.salt,
    hitpayBaseUrl: sandbox.url,
    broker,
  });
  const forecast = mpp.protect(
    { amount: '1.00', currency: 'sgd', description: 'Forecast' },
    async (req, ctx) => Response.json({ path: new URL(req.url).pathname, reference: ctx.payment.reference }),
  );
  const failing = mpp.protect(
    { amount: '1.00', currency: 'sgd' },
    async () => new Response('boom', { status: 500 }),
  );
  const saved = mpp.protectSavedMethod(
    {
      currency: 'sgd',
      maxAmountPerCharge: '5.00',
      totalAmountCap: '50.00',
      perCallAmount: '0.50',
      customerEmail: 'payer@example.com',
    },
    async (_req, ctx) => Response.json({ reference: ctx.payment.reference }),
  );
  const savedFailing = mpp.protectSavedMethod(
    {
      currency: 'sgd',
      maxAmountPerCharge: '5.00',
      totalAmountCap: '50.00',
      perCallAmount: '0.50',
      customerEmail: 'payer@example.com',
    },
    async () => new Response('nope', { status: 503 }),
  );
  routes = async (request) => {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/forecast')) return forecast(request, {});
    if (path.startsWith('/failing')) return failing(request, {});
    if (path.startsWith('/saved-failing')) return savedFailing(request, {});
    if (path.startsWith('/saved')) return saved(request, {});
    return new Response('not found', { status: 404 });
  };
  return {
    sandbox,
    broker,
    api,
    mpp,
    apiKey: opts.apiKey,
    apiSalt,
    webhookSalt: endpoint.salt,
    clock,
    async close() {
      await api.close();
      await broker.close();
      if (!opts.sandbox) await sandbox.close();
    },
  };
}

/** The challenge of `method` from a 402. */
export function challengeOf(res: Response, method: string): Challenge {
  const header = res.headers.get('www-authenticate');
  if (!header) throw new Error(`no challenge (status ${res.status})`);
  const c = parseChallenges(header).find((x) => x.method === method);
  if (!c) throw new Error(`no ${method} challenge`);
  return c;
}

/** `Authorization: Payment …` for a challenge and payload. */
export function credential(challenge: Challenge, payload: Record<string, unknown>): string {
  return formatCredential({ challenge: challenge as never, payload: payload as never });
}

/** The compact JWS inside a `Payment-Receipt` header. */
export function receiptJws(res: Response): string {
  const header = res.headers.get('payment-receipt');
  if (!header) throw new Error(`no receipt (status ${res.status})`);
  return String((parseReceipt(header) as unknown as { jws: string }).jws);
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Row count of a broker table. */
export async function count(broker: MppBroker, table: string, where = 'true'): Promise<number> {
  const { rows } = await broker.database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0]!.n);
}

/** What a hand-made challenge binds. */
export interface ChallengeSpec {
  secret: string;
  realm: string;
  merchant: string;
  broker: string;
  method?: 'hitpay' | 'hitpay-save';
  amount?: string;
  currency?: string;
  expiresInMs?: number;
  requestHash?: string;
  details?: Record<string, unknown>;
}

/** A challenge built with core's protocol functions (what createMpp issues, without an API). */
export function makeChallenge(spec: ChallengeSpec): Challenge {
  const method = spec.method ?? 'hitpay';
  const currency = spec.currency ?? 'sgd';
  const amount = spec.amount ?? '100';
  const request = {
    amount,
    currency,
    methodDetails: {
      broker: spec.broker,
      merchant: spec.merchant,
      display_amount: `${currency.toUpperCase()} ${amount}`,
      ...(method === 'hitpay'
        ? { rails: ['paynow_online'] }
        : {
            rails: ['grabpay_direct', 'shopee_pay'],
            max_amount_per_charge: '500',
            total_amount_cap: '5000',
            customer_email: 'payer@example.com',
          }),
      ...spec.details,
    },
  };
  const params = {
    realm: spec.realm,
    method,
    intent: 'charge',
    request: base64url.encode(canonicalize(request)),
    expires: formatTimestamp(Date.now() + (spec.expiresInMs ?? 15 * 60_000)),
    ...(method === 'hitpay'
      ? {
          opaque: base64url.encode(
            canonicalize({ rh: spec.requestHash ?? base64url.encode(randomBytes(32)) }),
          ),
        }
      : {}),
  };
  return { id: computeChallengeId(spec.secret, params), ...params };
}

/** The request hash a hand-made `hitpay` challenge binds. */
export function boundHash(challenge: Challenge): string {
  return JSON.parse(Buffer.from(challenge.opaque!, 'base64url').toString('utf8')).rh;
}

/** Opens the checkout of a challenge at a broker base URL; returns the charge view. */
export async function openAt(base: string, challenge: Challenge): Promise<Record<string, any>> {
  const res = await fetch(`${base}/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ challenge }),
  });
  if (res.status !== 200) throw new Error(`checkout answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<Record<string, any>>;
}

/** Setup → approval in the sandbox → webhook → poll: an active grant at a broker base URL. */
export async function grantAt(
  base: string,
  sandbox: Sandbox,
  challenge: Challenge,
): Promise<{ grant: string; id: string }> {
  const res = await fetch(`${base}/v1/saved-payment-methods`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challenge, payment_method: 'grabpay_direct' }),
  });
  const setup = (await res.json()) as Record<string, any>;
  if (res.status !== 201) throw new Error(`setup answered ${res.status}: ${JSON.stringify(setup)}`);
  const rbId = new URL(setup.setup_checkout_url).pathname.split('/').pop()!;
  sandbox.approve(rbId);
  await sandbox.webhooksIdle();
  const view = (await (
    await fetch(setup.polling_url, { headers: { 'x-setup-token': setup.setup_token } })
  ).json()) as Record<string, any>;
  if (view.status !== 'active') throw new Error(`setup is ${view.status}`);
  return { grant: view.saved_method_jws, id: setup.saved_method_id };
}

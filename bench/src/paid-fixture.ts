/**
 * Paid one-time charges without HitPay: the benchmark fixture writes, for genuine challenges its
 * engine issued, the `charges` rows that the lazy checkout and HitPay's webhook would have written,
 * then builds the credentials an agent would send. What is seeded (one row per challenge):
 *
 * - from the challenge: `id` (the challenge id), `merchant_id`, `amount`, `currency`, `description`,
 *   `request_hash` (the `rh` bound in `opaque`), `realm`, `challenge` (the echo as JSON),
 *   `expires_at`, `broker_url`;
 * - what creating the HitPay payment request writes: `payment_request_id` (`pr_bench_<n>`),
 *   `checkout_url`;
 * - what the `payment_request.completed` webhook writes: `status = 'paid'`, `payment_id`
 *   (`pay_bench_<n>`), `paid_amount` (= amount), `paid_at` (now).
 *
 * The credential is `{ challenge, payload: { payment_request_id } }`, as the agent client sends it.
 * Nothing else is touched: redemption (`paid → redeeming → redeemed`), the receipt signature and
 * the commit all run for real during the measurement.
 */
import { randomBytes } from 'node:crypto';
import {
  type CompiledRoute,
  createMpp,
  type Mpp,
  type MppEngine,
  type MppRequest,
  merchantIdFor,
  type RespondDecision,
} from '@hit-pay/mpp';
import {
  base64url,
  type Challenge,
  formatCredential,
  parseChallenges,
  parseTimestamp,
} from '@hit-pay/mpp/protocol';
import { createBroker, type Database, type MppBroker } from '@hit-pay/mpp-broker';
import { SECRET } from './fixtures.js';

/** The merchant every broker benchmark charges for (a sandbox-style `test_` key). */
export const API_KEY = 'test_mpp_bench_merchant_key';
export const POSTGRES_URL = process.env.MPP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BrokerMpp {
  broker: MppBroker;
  mpp: Mpp;
  merchantId: string;
  /** Closes the broker (and drops the benchmark's PostgreSQL schema). */
  close(): Promise<void>;
}

/**
 * An embedded broker (`memory://` PGlite, or PostgreSQL in a schema of its own) behind a
 * `createMpp` engine with the `hitpay` methods, as an API process runs it. HitPay is never called:
 * charges are seeded paid (below), so the HitPay base URL is a closed port.
 */
export async function startBrokerMpp(
  database: 'pglite' | 'postgres',
  options: { hitpayBaseUrl?: string } = {},
): Promise<BrokerMpp> {
  const schema =
    database === 'postgres' ? `mpp_bench_${process.pid}_${randomBytes(3).toString('hex')}` : undefined;
  const hitpayBaseUrl = options.hitpayBaseUrl ?? 'http://127.0.0.1:9';
  const broker = await createBroker({
    database: database === 'postgres' ? POSTGRES_URL : 'memory://',
    ...(schema ? { schema } : {}),
    secretKey: SECRET,
    reconcileIntervalMs: 0,
    pollIntervalMs: 0,
    rateLimits: {
      checkoutPerAddress: false,
      checkoutPerMerchant: false,
      setupPerAddress: false,
      setupPerMerchant: false,
    },
  });
  await broker.registerMerchant({ apiKey: API_KEY, challengeSecrets: [SECRET], hitpayBaseUrl });
  const mpp = createMpp({ apiKey: API_KEY, secretKey: SECRET, broker, hitpayBaseUrl, requireTls: false });
  return {
    broker,
    mpp,
    merchantId: merchantIdFor(API_KEY),
    async close() {
      if (schema)
        await broker.database.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await broker.close();
    },
  };
}

/** A request as the HTTP server will see it: `GET path` on `host` over plain HTTP. */
export function hostRequest(host: string, path: string): MppRequest {
  return {
    method: 'GET',
    target: path,
    header: () => undefined,
    headerLines: () => [],
    headers: { get: () => null },
    body: async () => undefined,
    hasBody: false,
    protocol: 'http',
    host,
  };
}

/** `n` genuine challenges of `method` issued by the engine for `req`. */
export async function issueChallenges(
  engine: MppEngine,
  route: CompiledRoute,
  req: MppRequest,
  n: number,
  method: string,
): Promise<Challenge[]> {
  const out: Challenge[] = [];
  for (let i = 0; i < n; i++) {
    const d = (await engine.decide(req, route)) as RespondDecision;
    if (d.status !== 402) throw new Error(`expected a 402, got ${d.status}: ${String(d.body)}`);
    for (const [name, value] of d.headers) {
      if (name !== 'www-authenticate') continue;
      const c = parseChallenges(value)[0]!;
      if (c.method === method) out.push(c);
    }
  }
  return out;
}

const run = randomBytes(4).toString('hex');
let seq = 0;

/** Seeds one paid `charges` row per challenge (see the module comment); returns the credentials. */
export async function seedPaidCharges(
  db: Database,
  merchantId: string,
  challenges: readonly Challenge[],
): Promise<string[]> {
  const credentials: string[] = [];
  const batch = 2000;
  for (let start = 0; start < challenges.length; start += batch) {
    const cols = {
      id: [],
      rh: [],
      echo: [],
      exp: [],
      pr: [],
      pay: [],
      amount: [],
      cur: [],
      realm: [],
    } as Record<string, string[]>;
    let broker = '';
    for (const c of challenges.slice(start, start + batch)) {
      const request = JSON.parse(base64url.decodeText(c.request)) as {
        amount: string;
        currency: string;
        methodDetails: { broker: string };
      };
      const rh = (JSON.parse(base64url.decodeText(c.opaque!)) as { rh: string }).rh;
      const n = `${run}_${++seq}`;
      broker = request.methodDetails.broker;
      cols.id!.push(c.id);
      cols.rh!.push(rh);
      cols.echo!.push(JSON.stringify(c));
      cols.exp!.push(new Date(parseTimestamp(c.expires!)!).toISOString());
      cols.pr!.push(`pr_bench_${n}`);
      cols.pay!.push(`pay_bench_${n}`);
      cols.amount!.push(request.amount);
      cols.cur!.push(request.currency);
      cols.realm!.push(c.realm);
      credentials.push(
        formatCredential({ challenge: c as never, payload: { payment_request_id: `pr_bench_${n}` } }),
      );
    }
    await db.query(
      `INSERT INTO charges (merchant_id, id, status, amount, currency, request_hash, realm, challenge,
         expires_at, broker_url, payment_request_id, checkout_url, payment_id, paid_amount, paid_at)
       SELECT $1, t.id, 'paid', t.amount::bigint, t.cur, t.rh, t.realm, t.echo::jsonb, t.exp::timestamptz, $2,
         t.pr, $2 || '/v1/checkout/' || t.id, t.pay, t.amount::bigint, now()
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
         $10::text[], $11::text[]) AS t(id, rh, echo, exp, pr, pay, amount, cur, realm)`,
      [
        merchantId,
        broker,
        cols.id,
        cols.rh,
        cols.echo,
        cols.exp,
        cols.pr,
        cols.pay,
        cols.amount,
        cols.cur,
        cols.realm,
      ],
    );
  }
  return credentials;
}

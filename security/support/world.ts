/**
 * A HitPay world: the offline sandbox (HitPay over real HTTP), a broker (PGlite in memory, or
 * PostgreSQL in a schema of its own), and an Express API paid through it with the real `hitpay` and
 * `hitpay-save` methods, listening on a real socket. Every log line of the engine and the broker
 * goes to a capturing logger at debug level.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMpp, type Logger, type Mpp, type MppOptions } from '@hit-pay/mpp';
import { type BrokerOptions, createBroker, type MppBroker } from '@hit-pay/mpp-broker';
import { mppExpress } from '@hit-pay/mpp-express';
import { type Sandbox, type SandboxOptions, startSandbox } from '@hit-pay/mpp-sandbox';
import express from 'express';

export const BROKER_SECRET = 'security-broker-sealing-secret-0123456789abcdef';

/** One captured log line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every line (at debug level and above), for secret-hygiene scans. */
export function capturingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () =>
      lines
        .map(
          (l) =>
            `${l.level} ${l.message} ${JSON.stringify(l.fields, (_k, v) => (v instanceof Error ? `${v.stack}` : v))}`,
        )
        .join('\n'),
  };
}

/** A clock tests can move forward (engine and broker share it). */
export function movableClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
  };
}

export interface WorldOptions {
  apiKey?: string;
  /** Broker storage: `memory://` (default) or a postgres:// URL. */
  database?: string;
  schema?: string;
  broker?: BrokerOptions;
  engine?: Partial<MppOptions>;
  sandbox?: SandboxOptions;
  /** An already running sandbox (several worlds, one HitPay). */
  sharedSandbox?: Sandbox;
  /** Hand the API a broker other than the one created here (a wrapper that counts calls). */
  wrapBroker?: (broker: MppBroker) => MppBroker;
  /** Use this broker (shared by several merchants' APIs) instead of creating one; not closed. */
  sharedBroker?: MppBroker;
  /** Started with this logger instead of a fresh one (a shared broker logs to its own). */
  logger?: ReturnType<typeof capturingLogger>;
  /** The world's clock (a shared broker reads its own). */
  clock?: ReturnType<typeof movableClock>;
}

export interface World {
  sandbox: Sandbox;
  broker: MppBroker;
  mpp: Mpp;
  api: { url: string; port: number; server: http.Server };
  apiKey: string;
  apiSalt: string;
  webhookSalt: string;
  logger: ReturnType<typeof capturingLogger>;
  clock: ReturnType<typeof movableClock>;
  /** Runs of the protected handlers. */
  runs: Record<string, number>;
  close(): Promise<void>;
}

/** Prices of the world's API. */
export const FORECAST = { amount: '1.00', currency: 'sgd', description: 'Forecast' } as const;
export const REPORT = { amount: '2.00', currency: 'sgd', description: 'Report' } as const;
export const HOURLY = {
  currency: 'sgd',
  maxAmountPerCharge: '5.00',
  totalAmountCap: '50.00',
  perCallAmount: '0.50',
  customerEmail: 'payer@example.com',
} as const;
export const HOURLY_MYR = { ...HOURLY, currency: 'myr' } as const;

/**
 * Starts sandbox + broker + API. Routes: `GET /forecast/:zip` (SGD 1.00, one-time),
 * `GET /report/:zip` (SGD 2.00), `GET /failing` (one-time, answers 500), `GET /hourly/:zip` (SGD 0.50
 * from a saved wallet), `GET /hourly-myr/:zip` (MYR), `GET /saved-failing` (saved, answers 503),
 * `GET /health` (free); the broker's public routes under `/mpp`.
 */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const apiKey = options.apiKey ?? `test_security_${Math.random().toString(36).slice(2, 10)}`;
  const sandbox =
    options.sharedSandbox ?? (await startSandbox({ webhookRetryDelaysMs: [50, 200], ...options.sandbox }));
  const logger = options.logger ?? capturingLogger();
  const clock = options.clock ?? movableClock();
  const broker =
    options.sharedBroker ??
    (await createBroker({
      database: options.database ?? 'memory://',
      ...(options.schema ? { schema: options.schema } : {}),
      secretKey: BROKER_SECRET,
      reconcileIntervalMs: 0,
      pollIntervalMs: 0,
      hitpay: { retryBaseDelayMs: 5, timeoutMs: 3000 },
      now: clock.now,
      logger,
      ...options.broker,
    }));
  const apiSalt = sandbox.business(apiKey).salt;
  const runs: Record<string, number> = {};
  const ran = (name: string) => {
    runs[name] = (runs[name] ?? 0) + 1;
  };
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const endpoint = sandbox.registerWebhookEndpoint(apiKey, { url: `${url}/mpp/v1/webhook/hitpay` });
  const mpp = createMpp({
    apiKey,
    apiSalt,
    webhookSalt: endpoint.salt,
    hitpayBaseUrl: sandbox.url,
    broker: options.wrapBroker ? options.wrapBroker(broker) : broker,
    logger,
    clock: clock.now,
    ...options.engine,
  } as MppOptions);
  const gate = mppExpress({ mpp });
  app.use(gate);
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/forecast/:zip', gate.protect(FORECAST), (req, res) => {
    ran('forecast');
    res.json({ zip: req.params.zip, paid: req.mpp?.reference });
  });
  app.get('/report/:zip', gate.protect(REPORT), (req, res) => {
    ran('report');
    res.json({ zip: req.params.zip, paid: req.mpp?.reference });
  });
  app.get('/failing', gate.protect(FORECAST), (_req, res) => {
    ran('failing');
    res.status(500).json({ error: 'handler failed' });
  });
  app.get('/hourly/:zip', gate.protectSavedMethod(HOURLY), (req, res) => {
    ran('hourly');
    res.json({ zip: req.params.zip, remaining: req.mpp?.details?.remaining });
  });
  app.get('/hourly-myr/:zip', gate.protectSavedMethod(HOURLY_MYR), (req, res) => {
    ran('hourly-myr');
    res.json({ zip: req.params.zip });
  });
  app.get('/saved-failing', gate.protectSavedMethod(HOURLY), (_req, res) => {
    ran('saved-failing');
    res.status(503).json({ error: 'upstream down' });
  });
  return {
    sandbox,
    broker,
    mpp,
    api: { url, port, server },
    apiKey,
    apiSalt,
    webhookSalt: endpoint.salt,
    logger,
    clock,
    runs,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (!options.sharedBroker) await broker.close();
      if (!options.sharedSandbox) await sandbox.close();
    },
  };
}

/** Row count of a broker table. */
export async function count(broker: MppBroker, table: string, where = 'true'): Promise<number> {
  const { rows } = await broker.database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0]!.n);
}

/** A digest of every broker table's full contents: equal before and after means nothing was written. */
export async function storageFingerprint(broker: MppBroker): Promise<string> {
  const { rows: tables } = await broker.database.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const parts: string[] = [];
  for (const { t } of tables) {
    const { rows } = await broker.database.query<{ h: string | null; n: number }>(
      `SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*)::int AS n FROM ${t} x`,
    );
    parts.push(`${t}:${rows[0]!.n}:${rows[0]!.h}`);
  }
  return parts.join(',');
}

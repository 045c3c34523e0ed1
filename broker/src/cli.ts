/**
 * `mpp-broker`: run and operate a standalone broker.
 *
 *   mpp-broker start [--port 4403] [--host 127.0.0.1] [--database URL|folder] [--public-url URL] [--trust-proxy]
 *   mpp-broker migrate [--database …]
 *   mpp-broker rotate-keys [--database …]
 *   mpp-broker reconcile [--database …]
 *
 * Environment: DATABASE_URL, MPP_SECRET_KEY, MPP_SIGNING_KEY, MPP_PUBLIC_URL, PORT,
 * MPP_HITPAY_BASE_URLS (extra HitPay hosts merchants may register, comma-separated),
 * MPP_RECONCILE_INTERVAL_MS, MPP_LOG_LEVEL (debug|info|warn|error).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '@hit-pay/mpp';
import { createBroker } from './broker.js';
import { HITPAY_PRODUCTION_URL, HITPAY_SANDBOX_URL } from './hitpay/index.js';
import { startBroker } from './http/server.js';
import { openDatabase } from './storage/database.js';
import { migrate } from './storage/migrations.js';

const USAGE = `Usage: mpp-broker <command> [options]

Commands:
  start         serve the broker over HTTP (default port 4403)
  migrate       apply database migrations and exit
  rotate-keys   make a new signing key active (old keys stay published for verification)
  reconcile     run the reconciler once and print what it did

Options:
  --port <n>          port to listen on (start; PORT)
  --host <addr>       interface to listen on (start; default 127.0.0.1)
  --database <loc>    postgres:// URL or PGlite folder (DATABASE_URL; default .mpp/broker)
  --public-url <url>  the broker's public URL, the issuer of receipts (MPP_PUBLIC_URL)
  --trust-proxy       take the client address from X-Forwarded-For
  -h, --help          this text`;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** JSON lines on stderr; the only place in the package that writes to the console. */
function consoleLogger(): Logger {
  const min = LEVELS.indexOf((process.env.MPP_LOG_LEVEL ?? 'info') as (typeof LEVELS)[number]);
  const at = (level: (typeof LEVELS)[number]) => (fields: Record<string, unknown>, message: string) => {
    if (LEVELS.indexOf(level) < (min < 0 ? 1 : min)) return;
    console.error(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * MPP_SECRET_KEY, or for a local PGlite folder a key generated once and kept next to it
 * (`<folder>.secret-key`, mode 0600), so `mpp-broker start` works out of the box in development.
 * PostgreSQL always needs the variable: instances must share one key.
 */
function secretKeyFor(database: string, log: Logger): string {
  const fromEnv = process.env.MPP_SECRET_KEY;
  if (fromEnv) return fromEnv;
  if (/^postgres(ql)?:\/\//.test(database)) {
    throw new Error(
      'MPP_SECRET_KEY is required with PostgreSQL (at least 32 bytes, shared by every instance)',
    );
  }
  if (database === 'memory://') return randomBytes(32).toString('base64url');
  const file = `${resolve(database)}.secret-key`;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    log.warn({ file }, 'MPP_SECRET_KEY is not set: generated a development key next to the database');
  }
  return readFileSync(file, 'utf8').trim();
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      database: { type: 'string' },
      'public-url': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const log = consoleLogger();
  const database = values.database ?? process.env.DATABASE_URL ?? '.mpp/broker';
  const publicUrl = values['public-url'] ?? process.env.MPP_PUBLIC_URL;

  switch (command) {
    case 'migrate': {
      const db = await openDatabase(database);
      try {
        const applied = await migrate(db);
        console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'rotate-keys':
    case 'reconcile': {
      const broker = await createBroker({
        database,
        secretKey: secretKeyFor(database, log),
        publicUrl,
        logger: log,
        reconcileIntervalMs: 0,
      });
      try {
        if (command === 'rotate-keys') console.log(`active signing key: ${(await broker.rotateKeys()).kid}`);
        else console.log(JSON.stringify(await broker.reconcile()));
      } finally {
        await broker.close();
      }
      return 0;
    }
    case 'start': {
      const port = values.port ?? process.env.PORT;
      if (port !== undefined && !/^\d{1,5}$/.test(port))
        throw new Error(`--port must be a number, got ${port}`);
      const extraHosts = (process.env.MPP_HITPAY_BASE_URLS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const interval = process.env.MPP_RECONCILE_INTERVAL_MS;
      const running = await startBroker({
        database,
        secretKey: secretKeyFor(database, log),
        publicUrl,
        logger: log,
        port: port === undefined ? undefined : Number(port),
        host: values.host,
        trustProxy: values['trust-proxy'] === true,
        hitpayBaseUrls: [HITPAY_PRODUCTION_URL, HITPAY_SANDBOX_URL, ...extraHosts],
        ...(interval ? { reconcileIntervalMs: Number(interval) } : {}),
      });
      log.info({ url: running.url, issuer: running.broker.issuer }, 'mpp-broker listening');
      console.log(`mpp-broker listening on ${running.url}`);
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'mpp-broker shutting down');
          running.close().then(done, done);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      return 0;
    }
    default:
      console.error(`Unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`mpp-broker: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);

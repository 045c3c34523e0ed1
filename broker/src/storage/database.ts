import { MppConfigError, MppError } from '@hit-pay/mpp/protocol';
import type { PoolClient } from 'pg';

/** A row as returned by either backend: int8 columns are strings, timestamptz are Dates. */
export type Row = Record<string, unknown>;

/** What a statement runs on: the database or an open transaction. */
export interface Sql {
  query<T extends object = Row>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** The broker's storage: PostgreSQL through `pg`, or PGlite (Postgres in WebAssembly), one dialect. */
export interface Database extends Sql {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on a throw). */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created if missing); tests isolate runs with it. Default `public`. */
  schema?: string;
  /** Pool size for PostgreSQL (default 10). */
  poolSize?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Storage failures are the caller's 503: the database is down or restarting. */
function unavailable(error: unknown): MppError {
  if (error instanceof MppError) return error;
  return new MppError('service-unavailable', 'Broker database is unavailable', {
    cause: error,
    retryAfter: 1,
  });
}

/** True for errors raised by SQL itself (constraint violations), which callers handle. */
export function isSqlError(error: unknown, code?: string): error is { code: string } {
  const c = (error as { code?: unknown } | null)?.code;
  return typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c) && (code === undefined || c === code);
}

/**
 * Opens the broker database. `postgres://` / `postgresql://` URLs use `pg`; `memory://` is an
 * in-memory PGlite; anything else is a PGlite data folder (created if missing).
 */
export async function openDatabase(location: string, options: OpenOptions = {}): Promise<Database> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema))
    throw new MppConfigError('@hit-pay/mpp-broker', 'schema', 'must be a lower-case SQL identifier');
  if (/^postgres(ql)?:\/\//.test(location)) return openPostgres(location, schema, options.poolSize ?? 10);
  return openPglite(location, schema);
}

async function openPostgres(url: string, schema: string, max: number): Promise<Database> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // The schema is a startup parameter of every connection: a `SET` issued on connect would race
    // the connection's first query (pg warns about overlapping queries, and the query could run
    // before the SET).
    ...(schema !== 'public' ? { options: `-c search_path=${schema}` } : {}),
  });
  // A restarting server kills idle clients; without a listener the pool's error would crash the process.
  pool.on('error', () => {});
  const wrap = (q: {
    query: (t: string, p?: unknown[]) => Promise<{ rows: Row[]; rowCount: number | null }>;
  }): Sql => ({
    async query(text, params) {
      try {
        const r = await q.query(text, params as unknown[] | undefined);
        return { rows: r.rows as never[], rowCount: r.rowCount ?? 0 };
      } catch (error) {
        throw isSqlError(error) && !/^(08|57)/.test(error.code) ? error : unavailable(error);
      }
    },
    async exec(text) {
      try {
        await q.query(text);
      } catch (error) {
        throw isSqlError(error) ? error : unavailable(error);
      }
    },
  });
  if (schema !== 'public') {
    const c = await pool.connect().catch((e: unknown) => {
      throw unavailable(e);
    });
    try {
      // Two brokers starting together may both create it; the loser's duplicate error is harmless.
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((e: unknown) => {
        if (!isSqlError(e, '23505') && !isSqlError(e, '42P06')) throw e;
      });
    } finally {
      c.release();
    }
  }
  const root = wrap(pool);
  return {
    kind: 'postgres',
    ...root,
    async transaction(fn) {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw unavailable(error);
      }
      let broken = false;
      let inFn = false;
      try {
        await client.query('BEGIN');
        inFn = true;
        const result = await fn(wrap(client));
        inFn = false;
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        // The caller's own errors pass through; failures of the database machinery are a 503.
        throw inFn || isSqlError(error) || error instanceof MppError ? error : unavailable(error);
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(location: string, schema: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (location !== 'memory://') {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(location, { recursive: true });
  }
  // int8 as strings, as pg returns them: amounts in minor units must never pass through a double.
  const db = new PGlite(location, { parsers: { 20: (v: string) => v } });
  await db.waitReady;
  if (schema !== 'public')
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
  const wrap = (q: {
    query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[]; affectedRows?: number }>;
    exec: (t: string) => Promise<unknown>;
  }): Sql => ({
    async query(text, params) {
      const r = await q.query(text, params as unknown[] | undefined);
      return { rows: r.rows as never[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(text) {
      await q.exec(text);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

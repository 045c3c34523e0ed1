import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, serviceAvailable } from '../../../test-support/services.ts';
import { type Database, isSqlError, openDatabase } from './database.js';
import { migrate } from './migrations.js';

const pgUp = await serviceAvailable('postgres');
const backends: [string, () => Promise<Database>][] = [
  ['pglite', () => openDatabase('memory://')],
  ...(pgUp
    ? [
        ['postgres', () => openDatabase(POSTGRES_URL, { schema: `mpp_db_test_${process.pid}` })] as [
          string,
          () => Promise<Database>,
        ],
      ]
    : []),
];

describe.each(backends)('storage on %s', (name, open) => {
  let db: Database;
  afterAll(async () => {
    if (name === 'postgres') await db.exec(`DROP SCHEMA IF EXISTS mpp_db_test_${process.pid} CASCADE`);
    await db?.close();
  });

  it('migrates once, idempotently', async () => {
    db = await open();
    expect(await migrate(db)).toEqual([1, 2, 3, 4]);
    expect(await migrate(db)).toEqual([]);
  });
  it('returns int8 as strings and rolls back a failed transaction', async () => {
    await db.query(
      "INSERT INTO merchants (id, api_key_enc, challenge_secrets_enc, hitpay_base_url) VALUES ('m1','x','y','http://h')",
    );
    await expect(
      db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO saved_methods (id, merchant_id, status, rail, currency, customer_email, realm, max_amount_per_charge, total_amount_cap, setup_token_hash, expires_at)
           VALUES ('s1','m1','active','grabpay_direct','sgd','a@b.c','r', 500, 9007199254740993, 'h', now())`,
        );
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await db.query('SELECT count(*)::int AS n FROM saved_methods')).rows[0]!.n).toBe(0);
    await db.query(
      `INSERT INTO saved_methods (id, merchant_id, status, rail, currency, customer_email, realm, max_amount_per_charge, total_amount_cap, setup_token_hash, expires_at)
       VALUES ('s1','m1','active','grabpay_direct','sgd','a@b.c','r', 500, 9007199254740993, 'h', now())`,
    );
    const { rows } = await db.query<{ total_amount_cap: string }>(
      'SELECT total_amount_cap FROM saved_methods',
    );
    expect(rows[0]!.total_amount_cap).toBe('9007199254740993');
  });
  it('enforces the caps and UNIQUE(merchant, nonce) in the schema itself', async () => {
    await expect(
      db.query("UPDATE saved_methods SET used_amount = total_amount_cap + 1 WHERE id = 's1'"),
    ).rejects.toSatisfy((e) => isSqlError(e, '23514'));
    const ins = `INSERT INTO saved_charges (id, merchant_id, saved_method_id, nonce, status, amount, currency, request_hash, challenge_id)
                 VALUES ($1, 'm1', 's1', 'nonce-1', 'reserved', 50, 'sgd', 'h', 'c')`;
    await db.query(ins, ['sc1']);
    await expect(db.query(ins, ['sc2'])).rejects.toSatisfy((e) => isSqlError(e, '23505'));
  });
  it('a conditional update moves a row once even under concurrency', async () => {
    await db.query(
      `INSERT INTO charges (merchant_id, id, status, amount, currency, request_hash, realm, challenge, expires_at)
       VALUES ('m1','c1','paid',100,'sgd','h','r','{}', now() + interval '1 hour')`,
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        db.query(
          "UPDATE charges SET status = 'redeeming' WHERE merchant_id = 'm1' AND id = 'c1' AND status = 'paid' RETURNING id",
        ),
      ),
    );
    expect(results.filter((r) => r.rowCount === 1)).toHaveLength(1);
  });
});

import type { Database } from './database.js';

/**
 * The broker's schema, one forward-only migration per entry. Applied in one transaction under an
 * advisory lock, so several broker instances starting together apply each migration once.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE merchants (
  id                  text PRIMARY KEY,
  api_key_enc         text NOT NULL,
  webhook_salt_enc    text,
  api_salt_enc        text,
  challenge_secrets_enc text NOT NULL,
  hitpay_base_url     text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE charges (
  merchant_id         text NOT NULL REFERENCES merchants(id),
  id                  text NOT NULL,
  status              text NOT NULL CHECK (status IN ('creating','pending','paid','redeeming','redeemed','expired','failed','refunding','refunded')),
  amount              bigint NOT NULL CHECK (amount >= 0),
  currency            text NOT NULL,
  description         text,
  request_hash        text NOT NULL,
  realm               text NOT NULL,
  challenge           jsonb NOT NULL,
  expires_at          timestamptz NOT NULL,
  payment_request_id  text UNIQUE,
  checkout_url        text,
  qr_code             text,
  return_url          text,
  payment_id          text,
  paid_amount         bigint,
  paid_at             timestamptz,
  lease_until         timestamptz,
  redeemed_at         timestamptz,
  receipt_jws         text,
  refund_id           text,
  refunded_at         timestamptz,
  last_checked_at     timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, id)
);
CREATE INDEX charges_status_idx ON charges (status, expires_at);

CREATE TABLE saved_methods (
  id                  text PRIMARY KEY,
  merchant_id         text NOT NULL REFERENCES merchants(id),
  status              text NOT NULL CHECK (status IN ('pending','active','detached','revoked','expired')),
  rail                text NOT NULL,
  currency            text NOT NULL,
  customer_email      text NOT NULL,
  realm               text NOT NULL,
  max_amount_per_charge bigint NOT NULL,
  total_amount_cap    bigint NOT NULL,
  max_uses            integer,
  used_amount         bigint NOT NULL DEFAULT 0,
  use_count           integer NOT NULL DEFAULT 0,
  recurring_billing_id text UNIQUE,
  setup_url           text,
  setup_token_hash    text NOT NULL,
  grant_jws           text,
  grant_jti           text,
  grant_expires_at    timestamptz,
  expires_at          timestamptz NOT NULL,
  last_checked_at     timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (used_amount >= 0 AND used_amount <= total_amount_cap),
  CHECK (max_uses IS NULL OR use_count <= max_uses)
);

CREATE TABLE saved_charges (
  id                  text PRIMARY KEY,
  merchant_id         text NOT NULL REFERENCES merchants(id),
  saved_method_id     text NOT NULL REFERENCES saved_methods(id),
  nonce               text NOT NULL,
  status              text NOT NULL CHECK (status IN ('reserved','paid','failed','unknown','refunding','refunded')),
  amount              bigint NOT NULL CHECK (amount > 0),
  currency            text NOT NULL,
  request_hash        text NOT NULL,
  challenge_id        text NOT NULL,
  payment_id          text,
  receipt_jws         text,
  refund_id           text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, nonce)
);
CREATE INDEX saved_charges_status_idx ON saved_charges (status);

CREATE TABLE webhook_events (
  id                  text PRIMARY KEY,
  merchant_id         text,
  kind                text NOT NULL,
  received_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE signing_keys (
  kid                 text PRIMARY KEY,
  private_jwk_enc     text NOT NULL,
  public_jwk          jsonb NOT NULL,
  active              boolean NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  retired_at          timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active;

CREATE TABLE rate_limits (
  key                 text PRIMARY KEY,
  window_start        timestamptz NOT NULL,
  count               integer NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'broker services',
    // What the services built on v1 needed: the broker URL a challenge named (links, webhook URL),
    // a lease for the one payment-request creation per challenge, refund retry bookkeeping, the
    // saved-charge payment time, lookups by charge id alone (polling has no merchant), and one
    // row of broker identity (the stable `urn:` issuer when no public URL is configured).
    sql: `
ALTER TABLE charges ADD COLUMN broker_url text;
ALTER TABLE charges ADD COLUMN create_lease_until timestamptz;
ALTER TABLE charges ADD COLUMN create_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE charges ADD COLUMN refund_attempted_at timestamptz;
ALTER TABLE charges ADD COLUMN refund_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE charges ADD COLUMN refund_outcome_unknown boolean NOT NULL DEFAULT false;
CREATE INDEX charges_id_idx ON charges (id);

ALTER TABLE saved_methods ADD COLUMN broker_url text;
ALTER TABLE saved_methods ADD COLUMN description text;
CREATE INDEX saved_methods_status_idx ON saved_methods (status);

ALTER TABLE saved_charges ADD COLUMN paid_at timestamptz;
ALTER TABLE saved_charges ADD COLUMN refunded_at timestamptz;
ALTER TABLE saved_charges ADD COLUMN refund_attempted_at timestamptz;
ALTER TABLE saved_charges ADD COLUMN refund_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE saved_charges ADD COLUMN refund_outcome_unknown boolean NOT NULL DEFAULT false;
CREATE INDEX saved_charges_method_idx ON saved_charges (saved_method_id, status);
CREATE UNIQUE INDEX saved_charges_payment_idx ON saved_charges (payment_id) WHERE payment_id IS NOT NULL;

CREATE INDEX webhook_events_received_idx ON webhook_events (received_at);

CREATE TABLE broker_meta (
  key                 text PRIMARY KEY,
  value               text NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'redemption lease ids',
    // Commit and release must come from the redemption that holds the lease: a holder whose lease
    // lapsed must not settle a later redemption of the same charge.
    sql: `ALTER TABLE charges ADD COLUMN lease_id text;`,
  },
  {
    version: 4,
    name: 'saved-method payments seen',
    // HitPay's charge.created names no charge of ours, only the recurring billing and the amount.
    // When two charges of one wallet could own it, it is kept here instead of guessed, and the
    // reconciler hands it to a charge whose answer was lost (same wallet, same amount).
    sql: `
CREATE TABLE saved_payments (
  payment_id           text PRIMARY KEY,
  merchant_id          text NOT NULL,
  recurring_billing_id text NOT NULL,
  amount               bigint NOT NULL,
  seen_at              timestamptz NOT NULL
);
CREATE INDEX saved_payments_billing_idx ON saved_payments (merchant_id, recurring_billing_id, amount);
`,
  },
];

/** Applies every migration not yet applied. Safe to call from several instances at once. */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    // One broker at a time; others wait here, then find the work done.
    await tx.query('SELECT pg_advisory_xact_lock(4242001)');
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS mpp_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM mpp_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO mpp_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

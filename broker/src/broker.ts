import { randomBytes } from 'node:crypto';
import type { Broker, MerchantRegistration, RedeemChargeInput, SavedChargeInput } from '@hit-pay/mpp';
import type { JsonValue } from '@hit-pay/mpp/protocol';
import { Charges } from './charges.js';
import { createRouter } from './http/routes.js';
import { SealedBox } from './keys/sealed-box.js';
import { SigningKeys } from './keys/signing-keys.js';
import { Merchants } from './merchants.js';
import { type BrokerOptions, resolveBrokerOptions } from './options.js';
import { RateLimiter } from './rate-limit.js';
import { type ReconcileReport, Reconciler } from './reconciler.js';
import { Redemptions } from './redemption.js';
import { Refunds } from './refunds.js';
import { SavedCharges } from './saved-charges.js';
import { SavedMethods } from './saved-methods.js';
import { Signer } from './signer.js';
import { type Database, openDatabase } from './storage/database.js';
import { migrate } from './storage/migrations.js';
import { Webhooks } from './webhooks.js';

/** The broker: the {@link Broker} contract in-process, its HTTP routes, and its operations. */
export interface MppBroker extends Broker {
  /** `iss` of every receipt and grant: `publicUrl`, or a stable `urn:hit-pay:mpp-broker:<id>`. */
  readonly issuer: string;
  /** Serves the broker's HTTP routes (public ones; the server ones too when `serverEndpoints`). */
  fetch(request: Request): Promise<Response>;
  /** Runs the reconciler once (it also runs every `reconcileIntervalMs`). */
  reconcile(): Promise<ReconcileReport>;
  /** Makes a new signing key active; the old ones stay in the JWKS for verification. */
  rotateKeys(): Promise<{ kid: string }>;
  /** The storage (operations and tests). */
  readonly database: Database;
  /** Stops the reconciler, waits for a run in progress, and closes the storage. */
  close(): Promise<void>;
}

async function brokerId(db: Database): Promise<string> {
  await db.query(
    `INSERT INTO broker_meta (key, value) VALUES ('broker_id', $1) ON CONFLICT (key) DO NOTHING`,
    [randomBytes(12).toString('base64url')],
  );
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM broker_meta WHERE key = 'broker_id'`);
  return rows[0]!.value;
}

/**
 * Creates the broker over its storage: opens the database (PGlite folder, `memory://`, or
 * PostgreSQL), applies migrations, loads (or creates) the signing key, and starts the reconciler
 * timer (unref'd). Core calls it to run the broker embedded; `startBroker` serves it over HTTP.
 *
 * @example
 * const broker = await createBroker({ database: 'memory://', secretKey: process.env.MPP_SECRET_KEY });
 * const mpp = createMpp({ apiKey: process.env.HITPAY_API_KEY, broker });
 */
export async function createBroker(input: BrokerOptions = {}): Promise<MppBroker> {
  const options = resolveBrokerOptions(input);
  const box = new SealedBox(options.secretKey);
  const db = await openDatabase(options.database, options.schema ? { schema: options.schema } : {});
  try {
    await migrate(db);
    const keys = new SigningKeys(db, box, options.signingKey ? { suppliedJwk: options.signingKey } : {});
    await keys.load();
    const issuer = options.publicUrl ?? `urn:hit-pay:mpp-broker:${await brokerId(db)}`;
    return assemble(db, box, keys, issuer, options);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

function assemble(
  db: Database,
  box: SealedBox,
  keys: SigningKeys,
  issuer: string,
  options: ReturnType<typeof resolveBrokerOptions>,
): MppBroker {
  const signer = new Signer(keys, issuer, options.now);
  const merchants = new Merchants(db, box, options);
  const limiter = new RateLimiter(db, options.now);
  const charges = new Charges(db, merchants, limiter, options);
  const redemptions = new Redemptions(db, charges, signer, options);
  const refunds = new Refunds(db, merchants, options);
  const savedMethods = new SavedMethods(db, merchants, limiter, signer, options);
  const savedCharges = new SavedCharges(db, merchants, signer, refunds, options);
  const webhooks = new Webhooks(db, merchants, charges, savedMethods, savedCharges, refunds, options);
  const reconciler = new Reconciler(
    db,
    merchants,
    charges,
    refunds,
    savedMethods,
    savedCharges,
    limiter,
    options,
  );
  const fetch = createRouter({
    options,
    merchants,
    charges,
    redemptions,
    savedMethods,
    savedCharges,
    webhooks,
    signer,
  });

  let closed = false;
  const timer =
    options.reconcileIntervalMs > 0
      ? setInterval(() => {
          reconciler.run().catch(() => undefined);
        }, options.reconcileIntervalMs)
      : undefined;
  timer?.unref();

  return {
    issuer,
    database: db,
    fetch,
    registerMerchant: (m: MerchantRegistration) => merchants.register(m),
    redeemCharge: (i: RedeemChargeInput) => redemptions.redeem(i),
    commitCharge: (merchantId, chargeId, leaseId) => redemptions.commit(merchantId, chargeId, leaseId),
    releaseCharge: (merchantId, chargeId, leaseId) => redemptions.release(merchantId, chargeId, leaseId),
    chargeSavedMethod: (i: SavedChargeInput) => savedCharges.charge(i),
    async refundSavedCharge(merchantId, chargeId) {
      await savedCharges.refund(merchantId, chargeId);
    },
    async jwks() {
      return (await signer.jwks()) as unknown as { keys: Record<string, JsonValue>[] };
    },
    reconcile: () => reconciler.run(),
    async rotateKeys() {
      return { kid: (await keys.rotate()).kid };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await reconciler.idle();
      await db.close();
    },
  };
}

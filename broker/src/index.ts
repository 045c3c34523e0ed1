/**
 * `@hit-pay/mpp-broker`: HitPay MPP's broker. It creates HitPay payment requests lazily when a
 * checkout link is opened, receives HitPay webhooks, signs Ed25519 receipts and saved-method
 * grants, charges saved wallets under their caps, refunds, and reconciles. Embedded in the API's
 * process (core loads it with `createBroker`) or standalone (`startBroker`, `mpp-broker start`),
 * over PGlite or PostgreSQL.
 *
 * @module
 */
export { createBroker, type MppBroker } from './broker.js';
export type { ChargeView } from './charge-rows.js';
export { type RunningBroker, type StartBrokerOptions, startBroker } from './http/server.js';
export type { BrokerOptions, RateLimit, RateLimitOptions } from './options.js';
export type { ReconcileReport } from './reconciler.js';
export type { SavedMethodView, SetupStarted } from './saved-methods.js';
// --- For operations and tests (not needed to run the broker) ------------------------------------
export { type Database, type OpenOptions, openDatabase } from './storage/database.js';
export { MIGRATIONS, migrate } from './storage/migrations.js';

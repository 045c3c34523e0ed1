/**
 * The agent side of HitPay MPP: `mppFetch` pays HTTP 402s (one-time checkout shown to a person,
 * or a saved wallet under a signed grant), with budgets and a receipt ledger; `mppSaveMethod`
 * saves a wallet. Fetch-only: runs in Node ≥ 20 and browsers. File storage lives in
 * `@hit-pay/mpp-client/node`.
 *
 * @module
 */

export { MppError } from '@hit-pay/mpp/protocol';
export { type Budget, BudgetGuard } from './budget.js';
export {
  BudgetExceeded,
  ChallengeExpired,
  NoPayableChallenge,
  PaymentDeclined,
  PaymentTimeout,
  ReceiptInvalid,
} from './errors.js';
export {
  type MppFetchOptions,
  type MppFetchResult,
  mppFetch,
  type PayDecision,
  type PaymentPrompt,
} from './fetch.js';
export { type Ledger, type LedgerEntry, MemoryLedger } from './ledger.js';
export { type Offer, readOffers } from './offers.js';
export { brokerKeys, type ExpectedPayment, type VerifiedReceipt, verifyPaymentReceipt } from './receipts.js';
export { type MppSaveMethodOptions, mppSaveMethod, type SavedMethodGrant } from './save.js';

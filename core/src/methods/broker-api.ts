import type { ChallengeEcho } from '../protocol/credential.js';
import type { JsonValue } from '../protocol/json.js';

/**
 * The contract between the HitPay payment methods (in core, on the API's request path) and the
 * broker (charges, grants, webhooks, receipts, refunds). Two implementations: the broker object
 * itself when embedded in the API's process, and an HTTP client of a standalone broker.
 * Every method throws MppError with a Payment-scheme code on refusal.
 */
export interface Broker {
  /** Registers (or refreshes) the merchant this API instance charges for; idempotent. */
  registerMerchant(merchant: MerchantRegistration): Promise<{ merchantId: string }>;

  /**
   * Consumes a paid one-time charge for one delivery: `paid` → `redeeming` under a lease, in one
   * conditional update, and signs the receipt. Refuses with `payment-action-required` (not paid
   * yet, Retry-After), `invalid-challenge` (already redeemed or being redeemed elsewhere),
   * `verification-failed` (amount, currency, request or payment request mismatch).
   */
  redeemCharge(input: RedeemChargeInput): Promise<RedeemedCharge>;
  /**
   * The handler answered 2xx: `redeeming` → `redeemed` (final). `leaseId` is the redemption's, so
   * a holder whose lease lapsed cannot settle a later redemption of the same charge.
   */
  commitCharge(merchantId: string, chargeId: string, leaseId: string): Promise<void>;
  /** The handler failed: `redeeming` → `paid`, so the same credential works again (lease holder only). */
  releaseCharge(merchantId: string, chargeId: string, leaseId: string): Promise<void>;

  /**
   * Charges a saved method under its grant: re-checks every grant claim, reserves the amount
   * against the caps and the nonce (UNIQUE per merchant) in one transaction, charges HitPay, and
   * signs the receipt. Refuses with `grant-invalid`, `grant-exhausted`, `invalid-challenge`
   * (replayed nonce), `verification-failed` (declined), `service-unavailable` (outcome unknown).
   */
  chargeSavedMethod(input: SavedChargeInput): Promise<SavedCharge>;
  /** The handler failed: refund the saved-method charge and restore the caps. */
  refundSavedCharge(merchantId: string, chargeId: string): Promise<void>;

  /** Public JWKS of the receipt and grant signing keys. */
  jwks(): Promise<{ keys: Record<string, JsonValue>[] }>;
  /** The broker's issuer URL (`iss` of its receipts and grants). */
  readonly issuer?: string;
}

export interface MerchantRegistration {
  /** HitPay API key (`X-BUSINESS-API-KEY`); the merchant id derives from it. */
  apiKey: string;
  /** Salt of the HitPay v2 webhook endpoint registered for this merchant. */
  webhookSalt?: string | undefined;
  /** HitPay API-key salt, to verify v1 (form) webhooks. */
  apiSalt?: string | undefined;
  /** Secrets that sign this merchant's challenge ids (first signs; all verify). */
  challengeSecrets: readonly string[];
  /** HitPay API base URL (sandbox, live, or the local sandbox emulator). */
  hitpayBaseUrl: string;
}

export interface RedeemChargeInput {
  merchantId: string;
  /** The challenge id, which is also the charge id. */
  chargeId: string;
  challenge: ChallengeEcho;
  /** Minor units the route charges. */
  amount: string;
  currency: string;
  requestHash: string;
  /** The HitPay payment request id the credential names, if it names one. */
  paymentRequestId?: string | undefined;
  /** How long the redemption may stay in flight before it returns to `paid` (ms). */
  leaseMs: number;
}

export interface RedeemedCharge {
  /** HitPay payment id (`payments[].id`). */
  paymentId: string;
  paymentRequestId: string;
  /** Compact Ed25519 JWS of the receipt claims (`typ: mpp-receipt+jwt`). */
  receiptJws: string;
  paidAt: string;
  /** Identifies this redemption; commit and release must present it. */
  leaseId: string;
}

export interface SavedChargeInput {
  merchantId: string;
  /** The grant JWS (`typ: mpp-spm+jwt`) the credential carries. */
  grant: string;
  /** Saved-method id (the grant's `sub`). */
  savedMethodId: string;
  /** Single-use nonce chosen by the agent. */
  nonce: string;
  amount: string;
  currency: string;
  requestHash: string;
  challengeId: string;
  realm: string;
}

export interface SavedCharge {
  chargeId: string;
  /** HitPay payment id of the charge. */
  paymentId: string;
  receiptJws: string;
  /** Minor units left under the grant's total cap. */
  remaining: string;
  paidAt: string;
}

import { type SavedCharge, type SavedChargeInput, toMajorUnits } from '@hit-pay/mpp';
import { MppError } from '@hit-pay/mpp/protocol';
import type { GrantClaims } from '@hit-pay/mpp/receipts';
import { hitpayMinor } from './charge-rows.js';
import { HitPayError, type HitPaySavedMethodCharge } from './hitpay/index.js';
import type { Merchants } from './merchants.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { Refunds, SavedChargeRow } from './refunds.js';
import type { SavedMethodRow } from './saved-methods.js';
import type { Signer } from './signer.js';
import { type Database, isSqlError, type Sql } from './storage/database.js';
import { randomId } from './tokens.js';

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const MINOR = /^[1-9][0-9]{0,17}$/;
const grantInvalid = (detail: string) => new MppError('grant-invalid', detail);
const exhausted = (detail: string) => new MppError('grant-exhausted', detail);

/** Re-checks every claim of a verified grant against the charge and the locked saved method. */
function checkScope(claims: GrantClaims, row: SavedMethodRow, input: SavedChargeInput, now: number): void {
  if (claims.sub !== row.id || claims.sub !== input.savedMethodId)
    throw grantInvalid('Grant is for another saved method');
  if (claims.jti === undefined || claims.jti !== row.grant_jti) throw grantInvalid('Grant was superseded');
  if (claims.merchant !== input.merchantId || row.merchant_id !== input.merchantId)
    throw grantInvalid('Grant belongs to another merchant');
  if (claims.realm !== input.realm || row.realm !== input.realm)
    throw grantInvalid('Grant is for another realm');
  if (claims.currency !== input.currency || row.currency !== input.currency)
    throw grantInvalid('Grant is in another currency');
  if (claims.rail !== row.rail) throw grantInvalid('Grant rail does not match the saved method');
  if (row.status !== 'active') throw grantInvalid(`Saved payment method is ${row.status}`);
  // Checked again under the lock, with verifyGrant's 60 s tolerance: the grant may lapse meanwhile.
  if (claims.exp === undefined || claims.exp * 1000 + 60_000 <= now) throw grantInvalid('Grant expired');
  const amount = BigInt(input.amount);
  if (amount > BigInt(claims.maxAmountPerCharge) || amount > BigInt(row.max_amount_per_charge))
    throw exhausted('Amount exceeds the grant’s per-charge cap');
  if (
    BigInt(row.used_amount) + amount > BigInt(row.total_amount_cap) ||
    BigInt(claims.totalAmountCap) < amount
  )
    throw exhausted('The grant’s total cap is reached');
  const maxUses = claims.maxUses ?? row.max_uses ?? undefined;
  if (maxUses !== undefined && row.use_count + 1 > maxUses)
    throw exhausted('The grant’s use count is reached');
}

/**
 * Charges under a saved method's grant. The reservation (re-checked grant, nonce, caps debited) is
 * one transaction holding the saved method's row lock; the HitPay charge runs after it commits,
 * never inside a transaction, and its outcome is one more conditional update: paid, failed (caps
 * restored), or unknown (caps kept, reconciled later, never retried blindly).
 */
export class SavedCharges {
  constructor(
    private readonly db: Database,
    private readonly merchants: Merchants,
    private readonly signer: Signer,
    private readonly refunds: Refunds,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  /** See {@link Broker.chargeSavedMethod}. */
  async charge(input: SavedChargeInput): Promise<SavedCharge> {
    if (typeof input.nonce !== 'string' || !NONCE.test(input.nonce))
      throw new MppError('invalid-payload', 'nonce must be 16–128 base64url characters');
    if (typeof input.amount !== 'string' || !MINOR.test(input.amount))
      throw new MppError('bad-request', 'amount must be positive minor units');
    for (const f of ['grant', 'savedMethodId', 'currency', 'requestHash', 'challengeId', 'realm'] as const) {
      if (typeof input[f] !== 'string' || input[f] === '' || input[f].length > 8192)
        throw new MppError('bad-request', `${f} is required`);
    }
    const claims = await this.signer.verifyGrant(input.grant);
    const merchant = await this.merchants.get(input.merchantId);
    if (!merchant) throw grantInvalid('Unknown merchant');

    const id = randomId('sc_');
    const now = new Date(this.options.now());
    let reserved: SavedMethodRow;
    try {
      reserved = await this.db.transaction(async (tx) => {
        const { rows } = await tx.query<SavedMethodRow>(
          'SELECT * FROM saved_methods WHERE id = $1 FOR UPDATE',
          [input.savedMethodId],
        );
        const row = rows[0];
        if (!row) throw grantInvalid('Unknown saved payment method');
        checkScope(claims, row, input, this.options.now());
        await tx.query(
          `INSERT INTO saved_charges (id, merchant_id, saved_method_id, nonce, status, amount, currency,
             request_hash, challenge_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'reserved', $5, $6, $7, $8, $9, $9)`,
          [
            id,
            input.merchantId,
            row.id,
            input.nonce,
            input.amount,
            input.currency,
            input.requestHash,
            input.challengeId,
            now,
          ],
        );
        const updated = await tx.query<SavedMethodRow>(
          `UPDATE saved_methods SET used_amount = used_amount + $2, use_count = use_count + 1, updated_at = $3
           WHERE id = $1 RETURNING *`,
          [row.id, input.amount, now],
        );
        return updated.rows[0]!;
      });
    } catch (error) {
      if (isSqlError(error, '23505')) throw new MppError('invalid-challenge', 'This nonce was already used');
      if (isSqlError(error, '23514')) throw exhausted('The grant’s caps are reached');
      throw error;
    }
    const remaining = (BigInt(reserved.total_amount_cap) - BigInt(reserved.used_amount)).toString();

    let result: HitPaySavedMethodCharge;
    try {
      result = await merchant.hitpay.chargeSavedMethod(reserved.recurring_billing_id!, {
        amount: toMajorUnits(input.amount, input.currency),
        currency: input.currency,
      });
    } catch (error) {
      if (error instanceof HitPayError && error.outcomeUnknown) {
        await this.db.query(
          `UPDATE saved_charges SET status = 'unknown', updated_at = $2 WHERE id = $1 AND status = 'reserved'`,
          [id, new Date(this.options.now())],
        );
        this.options.logger.warn(
          { savedChargeId: id },
          'saved charge outcome unknown; the reconciler resolves it',
        );
        throw new MppError(
          'service-unavailable',
          'HitPay did not confirm the charge; it is being reconciled',
          {
            cause: error,
            retryAfter: 5,
          },
        );
      }
      await this.undo(id);
      if (error instanceof HitPayError && [400, 402, 422].includes(error.hitpayStatus ?? 0))
        throw new MppError('verification-failed', 'The wallet declined the charge', { cause: error });
      throw error;
    }
    if (result.status !== 'succeeded') {
      await this.undo(id);
      throw new MppError(
        'verification-failed',
        `The wallet declined the charge (${result.failed_reason ?? result.status})`,
      );
    }
    const paidAt = new Date(this.options.now());
    // Recorded before signing: a charge that happened must never be lost, whatever fails next.
    // `unknown` too: a reservation can time out while HitPay is slow, and this answer is authoritative.
    const recorded = await this.db.query(
      `UPDATE saved_charges SET status = 'paid', payment_id = $2, paid_at = $3, updated_at = $3
       WHERE id = $1 AND status IN ('reserved', 'unknown')`,
      [id, result.payment_id, paidAt],
    );
    if (recorded.rowCount === 0) {
      // The reconciler settled it first (refunding it, or judging it failed): no delivery.
      this.options.logger.error(
        { savedChargeId: id, paymentId: result.payment_id },
        'HitPay confirmed a saved charge the reconciler had already settled; check it against HitPay',
      );
      throw new MppError('service-unavailable', 'The charge was settled while HitPay answered; retry', {
        retryAfter: 5,
      });
    }
    let receiptJws: string;
    try {
      receiptJws = await this.signer.receipt(
        {
          status: 'success',
          method: 'hitpay-save',
          reference: result.payment_id,
          challengeId: input.challengeId,
          amount: input.amount,
          currency: input.currency,
          requestHash: input.requestHash,
          merchant: input.merchantId,
          grantId: reserved.id,
          remaining,
        },
        input.realm,
      );
    } catch (error) {
      // No receipt, no delivery: the payer must not keep paying for nothing.
      await this.refund(input.merchantId, id).catch(() => undefined);
      throw error;
    }
    await this.db.query('UPDATE saved_charges SET receipt_jws = $2 WHERE id = $1', [id, receiptJws]);
    return {
      chargeId: id,
      paymentId: result.payment_id,
      receiptJws,
      remaining,
      paidAt: paidAt.toISOString(),
    };
  }

  /** `reserved|unknown → failed` and the caps given back, in one transaction. */
  async undo(id: string, tx?: Sql): Promise<void> {
    const run = async (sql: Sql) => {
      const now = new Date(this.options.now());
      const { rows } = await sql.query<{ saved_method_id: string; amount: string }>(
        `UPDATE saved_charges SET status = 'failed', updated_at = $2
         WHERE id = $1 AND status IN ('reserved', 'unknown') RETURNING saved_method_id, amount`,
        [id, now],
      );
      if (rows[0]) {
        await sql.query(
          `UPDATE saved_methods SET used_amount = used_amount - $2, use_count = use_count - 1, updated_at = $3
           WHERE id = $1`,
          [rows[0].saved_method_id, rows[0].amount, now],
        );
      }
    };
    if (tx) await run(tx);
    else await this.db.transaction(run);
  }

  /** See {@link Broker.refundSavedCharge}: idempotent; a failed refund stays queued for the reconciler. */
  async refund(merchantId: string, chargeId: string): Promise<SavedChargeRow['status']> {
    const { rows } = await this.db.query<SavedChargeRow>(
      `UPDATE saved_charges SET status = CASE WHEN status = 'paid' THEN 'refunding' ELSE status END,
         updated_at = $3
       WHERE merchant_id = $1 AND id = $2 RETURNING *`,
      [merchantId, chargeId, new Date(this.options.now())],
    );
    const row = rows[0];
    if (!row) throw new MppError('not-found', 'Unknown saved charge');
    if (row.status === 'reserved' || row.status === 'unknown')
      throw new MppError('conflict', 'The charge is not settled yet; retry later', { retryAfter: 5 });
    if (row.status !== 'refunding') return row.status;
    return this.refunds
      .refundSavedCharge(row, true)
      .then((o) => (o === 'refunded' ? 'refunded' : 'refunding'));
  }

  /**
   * Learns the HitPay payment id of a charge whose answer was lost, from `charge.created`, which
   * names the wallet and the amount but no charge of ours. The id goes to the one unresolved charge
   * of that wallet with that amount and no payment id, `reserved` ones included (the webhook often
   * beats the answer it duplicates). With several candidates it is not guessed — a wrong guess
   * would take another charge's id — but kept in `saved_payments` for the reconciler
   * ({@link SavedCharges.claimSeenPayment}), once every answer still in flight has arrived.
   */
  async notePayment(
    merchantId: string,
    recurringBillingId: string,
    payment: { id: string; amount: string | number; currency: string },
  ): Promise<void> {
    const minor = hitpayMinor(payment.amount, payment.currency);
    if (minor === undefined) return;
    await this.db.query(
      `INSERT INTO saved_payments (payment_id, merchant_id, recurring_billing_id, amount, seen_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (payment_id) DO NOTHING`,
      [payment.id, merchantId, recurringBillingId, minor, new Date(this.options.now())],
    );
    const { rows } = await this.db.query<SavedChargeRow>(
      `SELECT c.* FROM saved_charges c JOIN saved_methods m ON m.id = c.saved_method_id
       WHERE m.merchant_id = $1 AND m.recurring_billing_id = $2 AND c.status IN ('unknown', 'reserved')
         AND c.payment_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM saved_charges k WHERE k.payment_id = $3)
       ORDER BY c.created_at LIMIT 10`,
      [merchantId, recurringBillingId, payment.id],
    );
    const same = rows.filter((r) => hitpayMinor(payment.amount, r.currency) === String(r.amount));
    const match = same.length === 1 ? same[0] : undefined;
    if (!match) return;
    await this.db
      .query('UPDATE saved_charges SET payment_id = $2 WHERE id = $1 AND payment_id IS NULL', [
        match.id,
        payment.id,
      ])
      .catch((error: unknown) => {
        if (!isSqlError(error, '23505')) throw error;
      });
  }

  /**
   * Gives a charge that happened at HitPay but whose payment id was never learned a payment seen
   * in `charge.created` for its wallet and amount that no charge holds. The reconciler calls it
   * only when none of the wallet's charges is still in flight, so every other charge that has an
   * id has it; payments of one wallet and one amount are interchangeable for a refund.
   */
  async claimSeenPayment(charge: SavedChargeRow, recurringBillingId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ payment_id: string }>(
      `UPDATE saved_charges SET payment_id = (
         SELECT p.payment_id FROM saved_payments p
         WHERE p.merchant_id = $2 AND p.recurring_billing_id = $3 AND p.amount = $4
           AND NOT EXISTS (SELECT 1 FROM saved_charges k WHERE k.payment_id = p.payment_id)
         ORDER BY p.seen_at LIMIT 1)
       WHERE id = $1 AND payment_id IS NULL RETURNING payment_id`,
      [charge.id, charge.merchant_id, recurringBillingId, String(charge.amount)],
    );
    return rows[0]?.payment_id ?? undefined;
  }
}

import { toMajorUnits } from '@hit-pay/mpp';
import type { ChargeRow } from './charge-rows.js';
import { HitPayError } from './hitpay/index.js';
import type { Merchants } from './merchants.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { Database } from './storage/database.js';

/**
 * When a refund may be attempted again, as SQL over a row: never tried, or its last attempt is
 * older than 1 minute doubled per attempt (capped at ~4 hours), so a refund HitPay keeps refusing
 * is retried forever but rarely. `$1` is now.
 */
export const REFUND_DUE_SQL = `(refund_attempted_at IS NULL OR refund_attempted_at <= $1::timestamptz
  - make_interval(secs => 60 * power(2, LEAST(GREATEST(refund_attempts, 1), 9) - 1)))`;

/** A `saved_charges` row. */
export interface SavedChargeRow {
  id: string;
  merchant_id: string;
  saved_method_id: string;
  nonce: string;
  status: 'reserved' | 'paid' | 'failed' | 'unknown' | 'refunding' | 'refunded';
  amount: string;
  currency: string;
  request_hash: string;
  challenge_id: string;
  payment_id: string | null;
  receipt_jws: string | null;
  refund_id: string | null;
  paid_at: Date | null;
  refunded_at: Date | null;
  created_at: Date;
  refund_attempted_at: Date | null;
  refund_attempts: number;
  refund_outcome_unknown: boolean;
}

type Outcome = 'refunded' | 'pending';

/**
 * Refunds through HitPay's refund API, for one-time charges (`charges`) and saved-method charges
 * (`saved_charges`) in `refunding`. HitPay has no idempotency key, so each attempt is claimed first
 * (one instance at a time, with a growing delay, see {@link REFUND_DUE_SQL}), and an attempt after one whose
 * answer was lost first checks whether the money already went back.
 */
export class Refunds {
  constructor(
    private readonly db: Database,
    private readonly merchants: Merchants,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  private claimSql(table: 'charges' | 'saved_charges'): string {
    return `UPDATE ${table} SET refund_attempted_at = $1, refund_attempts = refund_attempts + 1
            WHERE merchant_id = $2 AND id = $3 AND status = 'refunding' AND payment_id IS NOT NULL
              AND ($4::boolean OR ${REFUND_DUE_SQL})
            RETURNING *`;
  }

  /** Claims one attempt (`force`: now, whatever the backoff says: a caller asked for the refund). */
  private claimParams(row: { merchant_id: string; id: string }, force: boolean): unknown[] {
    return [new Date(this.options.now()), row.merchant_id, row.id, force];
  }

  /** One refund attempt of a one-time charge in `refunding`. */
  async refundCharge(row: ChargeRow, force = false): Promise<Outcome> {
    const { rows } = await this.db.query<ChargeRow>(this.claimSql('charges'), this.claimParams(row, force));
    const claimed = rows[0];
    if (!claimed) return 'pending';
    const merchant = await this.merchants.get(claimed.merchant_id);
    if (!merchant) return 'pending';
    const amount = String(claimed.paid_amount ?? claimed.amount);
    if (claimed.refund_attempts > 1 && claimed.payment_request_id) {
      // A payment request shows its payments' refunds: an earlier attempt may have succeeded.
      const pr = await merchant.hitpay.getPaymentRequest(claimed.payment_request_id).catch(() => undefined);
      const payment = pr?.payments.find((p) => p.id === claimed.payment_id);
      if (payment && (payment.status === 'refunded' || payment.refunded_amount === payment.amount)) {
        return this.finishCharge(claimed, null);
      }
    }
    try {
      const refund = await merchant.hitpay.createRefund({
        payment_id: claimed.payment_id!,
        amount: toMajorUnits(amount, claimed.currency),
      });
      return this.finishCharge(claimed, refund.id);
    } catch (error) {
      await this.failed('charges', claimed, error);
      return 'pending';
    }
  }

  private async finishCharge(row: ChargeRow, refundId: string | null): Promise<Outcome> {
    const now = new Date(this.options.now());
    await this.db.query(
      `UPDATE charges SET status = 'refunded', refund_id = $3, refunded_at = $4, updated_at = $4
       WHERE merchant_id = $1 AND id = $2 AND status = 'refunding'`,
      [row.merchant_id, row.id, refundId, now],
    );
    this.options.logger.info({ chargeId: row.id, refundId }, 'charge refunded');
    return 'refunded';
  }

  /** One refund attempt of a saved-method charge in `refunding`; the caps are restored on success. */
  async refundSavedCharge(row: SavedChargeRow, force = false): Promise<Outcome> {
    const { rows } = await this.db.query<SavedChargeRow>(
      this.claimSql('saved_charges'),
      this.claimParams(row, force),
    );
    const claimed = rows[0];
    if (!claimed) return 'pending';
    const merchant = await this.merchants.get(claimed.merchant_id);
    if (!merchant) return 'pending';
    try {
      const refund = await merchant.hitpay.createRefund({
        payment_id: claimed.payment_id!,
        amount: toMajorUnits(String(claimed.amount), claimed.currency),
      });
      return this.finishSaved(claimed, refund.id);
    } catch (error) {
      // No lookup exists for saved-charge refunds, but HitPay refuses refunding more than was paid:
      // after an attempt whose answer was lost, a refusal means that attempt went through.
      if (
        claimed.refund_outcome_unknown &&
        error instanceof HitPayError &&
        error.hitpayStatus !== undefined &&
        (error.hitpayStatus === 400 || error.hitpayStatus === 422)
      ) {
        return this.finishSaved(claimed, null);
      }
      await this.failed('saved_charges', claimed, error);
      return 'pending';
    }
  }

  /** `refunding → refunded` and the caps restored, in one transaction. */
  async finishSaved(row: { merchant_id: string; id: string }, refundId: string | null): Promise<Outcome> {
    const now = new Date(this.options.now());
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ saved_method_id: string; amount: string }>(
        `UPDATE saved_charges SET status = 'refunded', refund_id = $3, refunded_at = $4, updated_at = $4
         WHERE merchant_id = $1 AND id = $2 AND status = 'refunding' RETURNING saved_method_id, amount`,
        [row.merchant_id, row.id, refundId, now],
      );
      const done = rows[0];
      if (done) {
        await tx.query(
          `UPDATE saved_methods SET used_amount = used_amount - $2, use_count = use_count - 1, updated_at = $3
           WHERE id = $1`,
          [done.saved_method_id, done.amount, now],
        );
      }
    });
    this.options.logger.info({ savedChargeId: row.id, refundId }, 'saved charge refunded');
    return 'refunded';
  }

  /**
   * HitPay says a payment was refunded in full (`charge.updated`): completes a refund of ours whose
   * answer was lost. Rows not in `refunding` are left alone.
   */
  async refundedAtHitPay(merchantId: string, paymentId: string): Promise<void> {
    const now = new Date(this.options.now());
    await this.db.query(
      `UPDATE charges SET status = 'refunded', refunded_at = $3, updated_at = $3
       WHERE merchant_id = $1 AND payment_id = $2 AND status = 'refunding'`,
      [merchantId, paymentId, now],
    );
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM saved_charges WHERE merchant_id = $1 AND payment_id = $2 AND status = 'refunding'`,
      [merchantId, paymentId],
    );
    for (const r of rows) await this.finishSaved({ merchant_id: merchantId, id: r.id }, null);
  }

  private async failed(
    table: 'charges' | 'saved_charges',
    row: { merchant_id: string; id: string },
    error: unknown,
  ): Promise<void> {
    const unknown = error instanceof HitPayError && error.outcomeUnknown;
    if (unknown) {
      await this.db.query(
        `UPDATE ${table} SET refund_outcome_unknown = true WHERE merchant_id = $1 AND id = $2`,
        [row.merchant_id, row.id],
      );
    }
    this.options.logger.warn(
      {
        table,
        id: row.id,
        outcomeUnknown: unknown,
        err: error instanceof Error ? error.message : String(error),
      },
      'refund attempt failed; the reconciler retries it',
    );
  }
}

import type { ChargeRow } from './charge-rows.js';
import type { Charges } from './charges.js';
import type { Merchants } from './merchants.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { RateLimiter } from './rate-limit.js';
import { REFUND_DUE_SQL, type Refunds, type SavedChargeRow } from './refunds.js';
import type { SavedCharges } from './saved-charges.js';
import type { SavedMethodRow, SavedMethods } from './saved-methods.js';
import type { Database } from './storage/database.js';

/** What one reconciler run did. */
export interface ReconcileReport {
  /** (a) Charges found paid at HitPay whose webhook never came. */
  recovered: number;
  /** (b) Redemptions whose lease lapsed, back to `paid`. */
  leasesReturned: number;
  /** (c) Paid charges never redeemed before expiry, queued for refund. */
  refundsQueued: number;
  /** (d) Unpaid charges expired (and their payment requests cancelled). */
  expired: number;
  /** (e) Refunds completed (one-time and saved-method). */
  refunded: number;
  /** (f) Saved charges with an unknown outcome resolved (failed, or refunded). */
  savedResolved: number;
  /** Save sessions activated (missed webhook) or expired. */
  setups: number;
  /** Steps that failed (logged); they are retried on the next run. */
  errors: number;
}

const BATCH = 100;

/**
 * Everything that must eventually happen without a request to trigger it. Each step is claimed
 * row by row with conditional updates, so several instances may run it at once, and a step that
 * fails (HitPay down) simply happens on a later run.
 */
export class Reconciler {
  private running: Promise<ReconcileReport> | undefined;

  constructor(
    private readonly db: Database,
    private readonly merchants: Merchants,
    private readonly charges: Charges,
    private readonly refunds: Refunds,
    private readonly savedMethods: SavedMethods,
    private readonly savedCharges: SavedCharges,
    private readonly limiter: RateLimiter,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  /** Runs every step once; concurrent calls in one process share the run. */
  run(): Promise<ReconcileReport> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when no run is in progress (shutdown). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async runOnce(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      recovered: 0,
      leasesReturned: 0,
      refundsQueued: 0,
      expired: 0,
      refunded: 0,
      savedResolved: 0,
      setups: 0,
      errors: 0,
    };
    const steps: [string, () => Promise<void>][] = [
      ['recover', () => this.recover(report)],
      ['leases', () => this.returnLeases(report)],
      ['expire', () => this.expireUnpaid(report)],
      ['queue refunds', () => this.queueRefunds(report)],
      ['refunds', () => this.retryRefunds(report)],
      ['saved charges', () => this.resolveUnknown(report)],
      ['setups', () => this.setups(report)],
      ['housekeeping', () => this.housekeeping()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        report.errors++;
        this.options.logger.error(
          { step: name, err: error instanceof Error ? error.message : String(error) },
          'reconciler step failed',
        );
      }
    }
    if (Object.values(report).some((n) => n > 0)) this.options.logger.info({ ...report }, 'reconciled');
    return report;
  }

  private get now(): number {
    return this.options.now();
  }

  /** (a) Pending charges: ask HitPay, oldest check first (status lag: a succeeded payment counts). */
  private async recover(r: ReconcileReport): Promise<void> {
    const { rows } = await this.db.query<ChargeRow>(
      `SELECT * FROM charges WHERE status IN ('pending', 'failed') AND payment_request_id IS NOT NULL
         AND expires_at > $2 AND (last_checked_at IS NULL OR last_checked_at <= $1)
       ORDER BY last_checked_at NULLS FIRST LIMIT ${BATCH}`,
      [new Date(this.now - this.options.pollIntervalMs), new Date(this.now)],
    );
    for (const row of rows) {
      const after = await this.charges.refresh(row, this.options.pollIntervalMs);
      if (after.status !== row.status) r.recovered++;
    }
  }

  /** (b) */
  private async returnLeases(r: ReconcileReport): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE charges SET status = 'paid', lease_until = NULL, updated_at = $1
       WHERE status = 'redeeming' AND lease_until <= $1`,
      [new Date(this.now)],
    );
    r.leasesReturned += rowCount;
  }

  /**
   * (d) Unpaid charges past their expiry: a last look at HitPay (a late payment is refunded, not
   * lost), then `expired` and the payment request cancelled so it cannot be paid any more.
   */
  private async expireUnpaid(r: ReconcileReport): Promise<void> {
    const now = this.now;
    const { rows } = await this.db.query<ChargeRow>(
      `SELECT * FROM charges WHERE status IN ('creating', 'pending', 'failed') AND expires_at <= $1
         AND (create_lease_until IS NULL OR create_lease_until <= $1)
       ORDER BY expires_at LIMIT ${BATCH}`,
      [new Date(now)],
    );
    for (const row of rows) {
      const merchant = await this.merchants.get(row.merchant_id);
      if (!merchant) continue;
      let prId = row.payment_request_id;
      if (!prId && row.create_attempts > 0) {
        // A create may have reached HitPay without its answer reaching us.
        prId = (await merchant.hitpay.findPaymentRequestByReference(row.id))?.id ?? null;
      }
      if (prId) {
        const pr = await merchant.hitpay.getPaymentRequest(prId);
        if (await this.charges.applyPaymentRequest(merchant, pr, row)) {
          r.recovered++;
          continue;
        }
      }
      const { rowCount } = await this.db.query(
        `UPDATE charges SET status = 'expired', create_lease_until = NULL, updated_at = $3
         WHERE merchant_id = $1 AND id = $2 AND status IN ('creating', 'pending', 'failed')`,
        [row.merchant_id, row.id, new Date(now)],
      );
      if (rowCount === 0) continue;
      r.expired++;
      if (prId) {
        try {
          await merchant.hitpay.deletePaymentRequest(prId);
        } catch {
          // Completed meanwhile (HitPay refuses to delete it): record the payment; it is refunded.
          const pr = await merchant.hitpay.getPaymentRequest(prId);
          await this.charges.applyPaymentRequest(merchant, pr, { ...row, status: 'expired' });
        }
      }
    }
  }

  /** (c) Paid, never redeemed, past expiry and grace: `paid → refunding`. */
  private async queueRefunds(r: ReconcileReport): Promise<void> {
    const { rowCount } = await this.db.query(
      `UPDATE charges SET status = 'refunding', updated_at = $2 WHERE status = 'paid' AND expires_at <= $1`,
      [new Date(this.now - this.options.expiryGraceMs), new Date(this.now)],
    );
    r.refundsQueued += rowCount;
  }

  /** (e) Every refund not done yet whose retry delay has passed. */
  private async retryRefunds(r: ReconcileReport): Promise<void> {
    const now = new Date(this.now);
    const charges = await this.db.query<ChargeRow>(
      `SELECT * FROM charges WHERE status = 'refunding' AND ${REFUND_DUE_SQL} LIMIT ${BATCH}`,
      [now],
    );
    for (const row of charges.rows) if ((await this.refunds.refundCharge(row)) === 'refunded') r.refunded++;
    const saved = await this.db.query<SavedChargeRow>(
      `SELECT * FROM saved_charges WHERE status = 'refunding' AND payment_id IS NOT NULL
         AND ${REFUND_DUE_SQL} LIMIT ${BATCH}`,
      [now],
    );
    for (const row of saved.rows)
      if ((await this.refunds.refundSavedCharge(row)) === 'refunded') r.refunded++;
  }

  /**
   * (f) Saved charges whose HitPay answer was lost. HitPay's `total_charge` counts the successful
   * charges of a recurring billing; compared with the ones we know succeeded it says how many of
   * the unknown ones happened (oldest first). Those are refunded (the caller got a 503 and never
   * got the resource); the others failed and their reservation is undone. A method with a charge
   * still in flight is left for the next run, as its charge may already be counted.
   */
  private async resolveUnknown(r: ReconcileReport): Promise<void> {
    const now = this.now;
    await this.db.query(
      `UPDATE saved_charges SET status = 'unknown', updated_at = $1 WHERE status = 'reserved' AND created_at <= $2`,
      [new Date(now), new Date(now - this.options.reservationTimeoutMs)],
    );
    const { rows: methods } = await this.db.query<SavedMethodRow>(
      `SELECT m.* FROM saved_methods m WHERE EXISTS (SELECT 1 FROM saved_charges c WHERE c.saved_method_id = m.id AND c.status = 'unknown')
         AND NOT EXISTS (SELECT 1 FROM saved_charges c WHERE c.saved_method_id = m.id AND c.status = 'reserved')
       LIMIT ${BATCH}`,
    );
    for (const m of methods) {
      const merchant = await this.merchants.get(m.merchant_id);
      if (!merchant || !m.recurring_billing_id) continue;
      const rb = await merchant.hitpay.getRecurringBilling(m.recurring_billing_id);
      const { rows: charges } = await this.db.query<SavedChargeRow>(
        `SELECT * FROM saved_charges WHERE saved_method_id = $1 AND status IN ('paid', 'refunding', 'refunded', 'unknown')
         ORDER BY created_at`,
        [m.id],
      );
      const known = charges.filter((c) => c.status !== 'unknown').length;
      let happened = rb.total_charge - known;
      for (const c of charges.filter((x) => x.status === 'unknown')) {
        if (happened > 0) {
          happened--;
          const paymentId =
            c.payment_id ?? (await this.savedCharges.claimSeenPayment(c, m.recurring_billing_id));
          if (!paymentId) {
            this.options.logger.error(
              { savedChargeId: c.id },
              'saved charge went through at HitPay but its payment id is unknown; waiting for charge.created',
            );
            continue;
          }
          const moved = await this.db.query(
            `UPDATE saved_charges SET status = 'refunding', updated_at = $2 WHERE id = $1 AND status = 'unknown'`,
            [c.id, new Date(now)],
          );
          if (moved.rowCount > 0) {
            r.savedResolved++;
            await this.refunds.refundSavedCharge({ ...c, payment_id: paymentId, status: 'refunding' }, true);
          }
        } else {
          await this.savedCharges.undo(c.id);
          r.savedResolved++;
        }
      }
    }
  }

  /** Pending setups: recover a missed attach; expire the abandoned; end grants past their expiry. */
  private async setups(r: ReconcileReport): Promise<void> {
    const now = this.now;
    const { rows } = await this.db.query<SavedMethodRow>(
      `SELECT * FROM saved_methods WHERE status = 'pending' AND recurring_billing_id IS NOT NULL
         AND (last_checked_at IS NULL OR last_checked_at <= $1)
       ORDER BY last_checked_at NULLS FIRST LIMIT ${BATCH}`,
      [new Date(now - this.options.pollIntervalMs)],
    );
    for (const row of rows) {
      if ((await this.savedMethods.refresh(row, this.options.pollIntervalMs)).status !== 'pending')
        r.setups++;
    }
    const { rows: ended } = await this.db.query<SavedMethodRow>(
      `UPDATE saved_methods SET status = 'expired', updated_at = $1
       WHERE (status = 'pending' AND expires_at <= $1) OR (status = 'active' AND grant_expires_at <= $1)
       RETURNING *`,
      [new Date(now)],
    );
    for (const row of ended) {
      r.setups++;
      const merchant = await this.merchants.get(row.merchant_id);
      // Cancelling the recurring billing releases the wallet token nobody can use any more.
      if (merchant && row.recurring_billing_id)
        await merchant.hitpay.deleteRecurringBilling(row.recurring_billing_id).catch(() => undefined);
    }
  }

  private async housekeeping(): Promise<void> {
    const day = 86_400_000;
    await this.limiter.prune(this.now - day);
    await this.db.query('DELETE FROM webhook_events WHERE received_at < $1', [new Date(this.now - 30 * day)]);
    await this.db.query('DELETE FROM saved_payments WHERE seen_at < $1', [new Date(this.now - 30 * day)]);
  }
}

import { randomUUID } from 'node:crypto';
import type { RedeemChargeInput, RedeemedCharge } from '@hit-pay/mpp';
import { MppError } from '@hit-pay/mpp/protocol';
import { type ChargeRow, findCharge } from './charge-rows.js';
import type { Charges } from './charges.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { Signer } from './signer.js';
import type { Database } from './storage/database.js';

const MAX_LEASE_MS = 10 * 60_000;

/**
 * Delivering a paid one-time charge exactly once: `paid → redeeming` (a lease) in one conditional
 * update, then `redeeming → redeemed` on a 2xx or back to `paid` otherwise. A crashed redeemer's
 * lease lapses and the charge can be redeemed again.
 */
export class Redemptions {
  constructor(
    private readonly db: Database,
    private readonly charges: Charges,
    private readonly signer: Signer,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  /** See {@link Broker.redeemCharge}. */
  async redeem(input: RedeemChargeInput): Promise<RedeemedCharge> {
    const leaseMs = Number.isFinite(input.leaseMs)
      ? Math.min(Math.max(input.leaseMs, 1000), MAX_LEASE_MS)
      : 60_000;
    let row = await findCharge(this.db, input.merchantId, input.chargeId);
    if (!row) {
      throw new MppError('payment-action-required', 'Not paid yet: open the checkout and pay', {
        retryAfter: 2,
      });
    }
    this.match(row, input);
    let won = await this.claim(row, leaseMs);
    if (!won && (row.status === 'pending' || row.status === 'creating')) {
      // The webhook may be late or lost: ask HitPay (throttled) before saying "not paid".
      row = await this.charges.refresh(row, this.options.pollIntervalMs);
      won = await this.claim(row, leaseMs);
    }
    if (!won) throw await this.refusal(input);
    try {
      const receiptJws = await this.signer.receipt(
        {
          status: 'success',
          method: 'hitpay',
          reference: won.payment_id!,
          challengeId: won.id,
          amount: String(won.amount),
          currency: won.currency,
          requestHash: won.request_hash,
          merchant: won.merchant_id,
        },
        won.realm,
      );
      return {
        paymentId: won.payment_id!,
        paymentRequestId: won.payment_request_id!,
        receiptJws,
        paidAt: won.paid_at!.toISOString(),
        leaseId: won.lease_id!,
      };
    } catch (error) {
      // No receipt, no delivery: hand the charge back so the same credential works on retry.
      await this.release(input.merchantId, input.chargeId, won.lease_id!).catch(() => undefined);
      throw error;
    }
  }

  /** The credential must be for this very charge: amount, currency, request, payment request. */
  private match(row: ChargeRow, input: RedeemChargeInput): void {
    if (input.challenge?.id !== row.id || input.challenge.realm !== row.realm)
      throw new MppError('invalid-challenge', 'Credential is for another challenge');
    if (String(row.amount) !== input.amount || row.currency !== input.currency)
      throw new MppError('verification-failed', 'Amount or currency differ from what was paid');
    if (row.request_hash !== input.requestHash)
      throw new MppError('verification-failed', 'The payment was made for another request');
    if (input.paymentRequestId !== undefined && row.payment_request_id !== input.paymentRequestId)
      throw new MppError('verification-failed', 'Credential names another payment request');
  }

  /** `paid` (or a lapsed redemption) → `redeeming`, in one conditional update. */
  private async claim(row: ChargeRow, leaseMs: number): Promise<ChargeRow | undefined> {
    const now = this.options.now();
    const { rows } = await this.db.query<ChargeRow>(
      `UPDATE charges SET status = 'redeeming', lease_until = $3, updated_at = $4, lease_id = $6
       WHERE merchant_id = $1 AND id = $2 AND payment_id IS NOT NULL
         AND (status = 'paid' OR (status = 'redeeming' AND lease_until <= $4))
         AND expires_at > $5
       RETURNING *`,
      [
        row.merchant_id,
        row.id,
        new Date(now + leaseMs),
        new Date(now),
        new Date(now - this.options.expiryGraceMs),
        randomUUID(),
      ],
    );
    return rows[0];
  }

  /** Why a charge could not be claimed, as the Payment scheme says it. */
  private async refusal(input: RedeemChargeInput): Promise<MppError> {
    const row = await findCharge(this.db, input.merchantId, input.chargeId);
    switch (row?.status) {
      case undefined:
      case 'creating':
      case 'pending':
        return new MppError('payment-action-required', 'Not paid yet', { retryAfter: 2 });
      case 'redeeming':
        return new MppError('invalid-challenge', 'This payment is being redeemed by another request');
      case 'redeemed':
        return new MppError('invalid-challenge', 'This payment was already redeemed');
      case 'failed':
        return new MppError('verification-failed', 'The payment failed; request a fresh challenge');
      default: {
        // A payment HitPay reported for another amount is refunded, never redeemed: say which way
        // it missed (R30), since the payer can do nothing about an expiry they did not cause.
        const paid = row?.paid_amount == null ? undefined : BigInt(row.paid_amount);
        const price = BigInt(String(row?.amount ?? 0));
        if (paid !== undefined && paid < price)
          return new MppError(
            'payment-insufficient',
            `HitPay reported ${paid} of the ${price} minor units asked; the payment is refunded`,
          );
        if (paid !== undefined && paid !== price)
          return new MppError(
            'verification-failed',
            'HitPay reported another amount than the price; the payment is refunded',
          );
        // paid but past the grace, expired, refunding, refunded
        return new MppError('payment-expired', 'The challenge expired before the payment was redeemed');
      }
    }
  }

  /** See {@link Broker.commitCharge}. A lapsed lease still commits: the resource was delivered. */
  async commit(merchantId: string, chargeId: string, leaseId: string): Promise<void> {
    const now = new Date(this.options.now());
    // The holder commits; so does a holder whose lapsed lease nobody took over (status back to
    // paid), since its resource was delivered. A lease another redemption holds is not touched.
    const { rowCount } = await this.db.query(
      `UPDATE charges SET status = 'redeemed', redeemed_at = $3, lease_until = NULL, updated_at = $3
       WHERE merchant_id = $1 AND id = $2
         AND ((status = 'redeeming' AND lease_id = $4) OR (status = 'paid' AND lease_id = $4))`,
      [merchantId, chargeId, now, leaseId],
    );
    if (rowCount === 0) {
      const row = await findCharge(this.db, merchantId, chargeId);
      if (!row) throw new MppError('not-found', 'Unknown charge');
      if (row.status !== 'redeemed') {
        this.options.logger.error(
          { chargeId, status: row.status },
          'delivered a charge that is no longer paid',
        );
      }
    }
  }

  /** See {@link Broker.releaseCharge}. Idempotent. */
  async release(merchantId: string, chargeId: string, leaseId: string): Promise<void> {
    await this.db.query(
      `UPDATE charges SET status = 'paid', lease_until = NULL, updated_at = $3
       WHERE merchant_id = $1 AND id = $2 AND status = 'redeeming' AND lease_id = $4`,
      [merchantId, chargeId, new Date(this.options.now()), leaseId],
    );
  }
}

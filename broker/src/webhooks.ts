import { MppError } from '@hit-pay/mpp/protocol';
import type { ChargeRow } from './charge-rows.js';
import type { Charges } from './charges.js';
import {
  type HitPayEvent,
  type HitPayWebhookV1,
  parseWebhookV2,
  verifyWebhookV1,
  verifyWebhookV2,
} from './hitpay/index.js';
import type { Merchant, Merchants } from './merchants.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { Refunds } from './refunds.js';
import type { SavedCharges } from './saved-charges.js';
import type { SavedMethodRow, SavedMethods } from './saved-methods.js';
import type { Database } from './storage/database.js';
import { digestHex } from './tokens.js';

/** What a webhook came to. `ignored` events are verified but of no interest (still answered 200). */
export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored';

/** The request parts a webhook is judged on. */
export interface WebhookDelivery {
  rawBody: Uint8Array;
  contentType: string | null;
  signature: string | null;
  eventObject: string | null;
  eventType: string | null;
  /** From `/v1/webhook/hitpay/{merchant}`; undefined on the shared URL. */
  merchantId?: string | undefined;
}

/**
 * HitPay webhooks, v1 (form, `hmac`, the merchant's API salt) and v2 (JSON, `Hitpay-Signature`,
 * the merchant's endpoint salt). The signature is checked over the raw bytes before anything is
 * parsed; on the shared URL every registered merchant's salt is tried, so the merchant is known
 * only from a valid signature. Each event only records state through conditional updates, so
 * duplicates and reordering are harmless; an exact duplicate is recognised and skipped.
 */
export class Webhooks {
  constructor(
    private readonly db: Database,
    private readonly merchants: Merchants,
    private readonly charges: Charges,
    private readonly savedMethods: SavedMethods,
    private readonly savedCharges: SavedCharges,
    private readonly refunds: Refunds,
    private readonly options: ResolvedBrokerOptions,
  ) {}

  /** Verifies and applies one delivery. Throws `unauthorized` (401) when no salt verifies it. */
  async receive(d: WebhookDelivery): Promise<WebhookOutcome> {
    const candidates = d.merchantId
      ? [await this.merchants.require(d.merchantId)]
      : await this.merchants.all();
    const v2 = d.signature !== null;
    if (!v2 && !/application\/x-www-form-urlencoded/i.test(d.contentType ?? ''))
      throw new MppError('unauthorized', 'Not a signed HitPay webhook');
    let merchant: Merchant | undefined;
    let verified: string | HitPayWebhookV1 | undefined;
    for (const m of candidates) {
      const salt = v2 ? m.webhookSalt : m.apiSalt;
      if (!salt) continue;
      try {
        verified = v2 ? verifyWebhookV2(d.rawBody, d.signature, salt) : verifyWebhookV1(d.rawBody, salt);
        merchant = m;
        break;
      } catch {
        // not this merchant's salt
      }
    }
    if (!merchant || verified === undefined)
      throw new MppError('unauthorized', 'HitPay webhook signature does not verify');

    const key = `${v2 ? 'v2' : 'v1'}:${digestHex(d.rawBody)}`;
    const seen = await this.db.query('SELECT 1 FROM webhook_events WHERE id = $1', [key]);
    if (seen.rows.length > 0) return 'duplicate';
    let outcome: WebhookOutcome;
    if (typeof verified === 'string') {
      let event: HitPayEvent;
      try {
        event = parseWebhookV2(verified, { eventObject: d.eventObject, eventType: d.eventType });
      } catch (error) {
        // Signed by HitPay but not the shape we know: a retry would not fix it.
        this.options.logger.warn(
          { merchantId: merchant.id, err: String(error) },
          'unreadable HitPay webhook',
        );
        return 'ignored';
      }
      outcome = await this.applyV2(merchant, event);
    } else {
      outcome = await this.applyV1(merchant, verified);
    }
    // Recorded only once applied: a delivery that failed half-way is not mistaken for a duplicate.
    await this.db.query(
      `INSERT INTO webhook_events (id, merchant_id, kind, received_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING`,
      [key, merchant.id, v2 ? (d.eventObject ?? 'v2') : 'v1', new Date(this.options.now())],
    );
    return outcome;
  }

  private async applyV2(merchant: Merchant, event: HitPayEvent): Promise<WebhookOutcome> {
    this.options.logger.debug({ merchantId: merchant.id, event: event.type }, 'HitPay webhook');
    switch (event.type) {
      case 'payment_request.completed':
      case 'payment_request.failed':
        return (await this.charges.applyPaymentRequest(merchant, event.paymentRequest))
          ? 'processed'
          : 'ignored';
      case 'charge.created': {
        const c = event.charge;
        if (c.status !== 'succeeded') return 'ignored';
        if (c.recurring_billing_id) {
          await this.savedCharges.notePayment(merchant.id, c.recurring_billing_id, c);
          return 'processed';
        }
        if (c.payment_request_id) {
          const row = await this.chargeFor(merchant.id, c.payment_request_id, null);
          if (row) await this.charges.refresh(row, 0);
          return row ? 'processed' : 'ignored';
        }
        return 'ignored';
      }
      case 'charge.updated': {
        const c = event.charge;
        if (c.refunded_amount !== null && c.refunded_amount === c.amount) {
          await this.refunds.refundedAtHitPay(merchant.id, c.id);
          return 'processed';
        }
        return 'ignored';
      }
      case 'recurring_billing.method_attached':
      case 'recurring_billing.method_detached':
      case 'recurring_billing.subscription_updated':
        await this.savedMethods.applyRecurringBilling(
          merchant,
          event.recurringBilling,
          event.type.slice('recurring_billing.'.length) as 'method_attached',
        );
        return 'processed';
      default:
        return 'ignored';
    }
  }

  private async applyV1(merchant: Merchant, f: HitPayWebhookV1): Promise<WebhookOutcome> {
    if (f.payment_request_id) {
      const row = await this.chargeFor(merchant.id, f.payment_request_id, f.reference_number ?? null);
      if (!row) return 'ignored';
      if (f.status === 'completed' && f.payment_id && f.amount && f.currency) {
        await this.charges.markPaid(row, { paymentId: f.payment_id, amount: f.amount, currency: f.currency });
      } else {
        await this.charges.refresh(row, 0);
      }
      return 'processed';
    }
    if (f.recurring_billing_id) {
      // HitPay documents no v1 body for save sessions: take it as a hint and ask HitPay.
      const { rows } = await this.db.query<SavedMethodRow>(
        'SELECT * FROM saved_methods WHERE merchant_id = $1 AND recurring_billing_id = $2',
        [merchant.id, f.recurring_billing_id],
      );
      if (rows[0]) await this.savedMethods.refresh(rows[0], 0);
      return rows[0] ? 'processed' : 'ignored';
    }
    return 'ignored';
  }

  private async chargeFor(
    merchantId: string,
    paymentRequestId: string,
    reference: string | null,
  ): Promise<ChargeRow | undefined> {
    const { rows } = await this.db.query<ChargeRow>(
      `SELECT * FROM charges WHERE merchant_id = $1 AND (payment_request_id = $2 OR id = $3)
       ORDER BY (payment_request_id = $2) IS TRUE DESC LIMIT 1`,
      [merchantId, paymentRequestId, reference ?? paymentRequestId],
    );
    const row = rows[0];
    // A reference match must not adopt another payment request than the one the charge made.
    if (row && row.payment_request_id !== null && row.payment_request_id !== paymentRequestId)
      return undefined;
    return row;
  }
}

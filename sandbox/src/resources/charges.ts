/**
 * Payments (HitPay calls the v2 object a "charge"): one per payment-request attempt and one per
 * saved-method charge. Rendered two ways: as a `payments[]` entry of a payment request (amounts as
 * strings) and as the Charge object of `charge.*` events (amounts as numbers).
 */
import { randomUUID } from 'node:crypto';
import { centsToNumber, centsToString } from '../amounts.js';
import type { SandboxContext } from '../context.js';
import { modelNotFound } from '../errors.js';
import type { BusinessRecord, ChargeRecord, ChargeStatus } from '../state.js';
import { sgTimestamp } from '../time.js';

/** Sandbox pricing: 3.4% + 0.50, never more than the amount. Real fees vary by rail and plan. */
const FEE_RATE = 3.4;
const FIXED_FEE_CENTS = 50;

const percentFee = (cents: number) => Math.round((cents * FEE_RATE) / 100);

/** Fields needed to record a new payment. */
export interface NewCharge {
  businessId: string;
  channel: ChargeRecord['channel'];
  paymentRequestId?: string;
  recurringBillingId?: string;
  status: Extract<ChargeStatus, 'succeeded' | 'failed'>;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  failedReason?: string;
  buyerName?: string | null;
  buyerEmail?: string | null;
  buyerPhone?: string | null;
}

/** Records a payment and counts it. */
export function createCharge(ctx: SandboxContext, input: NewCharge): ChargeRecord {
  const now = ctx.now();
  const fees =
    input.status === 'succeeded'
      ? Math.min(input.amountCents, percentFee(input.amountCents) + FIXED_FEE_CENTS)
      : 0;
  const charge: ChargeRecord = {
    id: randomUUID(),
    businessId: input.businessId,
    channel: input.channel,
    paymentRequestId: input.paymentRequestId ?? null,
    recurringBillingId: input.recurringBillingId ?? null,
    status: input.status,
    amountCents: input.amountCents,
    refundedCents: 0,
    feesCents: fees,
    currency: input.currency,
    paymentMethod: input.paymentMethod,
    failedReason: input.failedReason ?? null,
    buyerName: input.buyerName ?? null,
    buyerEmail: input.buyerEmail ?? null,
    buyerPhone: input.buyerPhone ?? null,
    createdAt: now,
    updatedAt: now,
  };
  ctx.state.charges[charge.id] = charge;
  ctx.stats.created.charges++;
  ctx.changed();
  return charge;
}

/** A payment of this business, or HitPay's 404. */
export function findCharge(ctx: SandboxContext, business: BusinessRecord, id: string): ChargeRecord {
  const c = ctx.state.charges[id];
  if (!c || c.businessId !== business.id) throw modelNotFound('Charge', id);
  return c;
}

/** A `payments[]` entry of a payment request. */
export function renderPaymentEntry(c: ChargeRecord): Record<string, unknown> {
  return {
    id: c.id,
    quantity: 1,
    status: c.status,
    buyer_name: c.buyerName,
    buyer_phone: c.buyerPhone,
    buyer_email: c.buyerEmail,
    currency: c.currency,
    amount: centsToString(c.amountCents),
    refunded_amount: centsToString(c.refundedCents),
    payment_type: c.paymentMethod,
    fees: centsToString(c.feesCents),
    created_at: sgTimestamp(c.createdAt),
    updated_at: sgTimestamp(c.updatedAt),
  };
}

/** The v2 Charge object (`charge.created`, `charge.updated`). */
export function renderCharge(c: ChargeRecord, referenceNumber: string | null): Record<string, unknown> {
  const isCard = c.paymentMethod === 'card';
  return {
    id: c.id,
    business_id: c.businessId,
    channel: c.channel,
    customer_id: null,
    status: c.status,
    currency: c.currency,
    amount: centsToNumber(c.amountCents),
    refunded_amount: centsToNumber(c.refundedCents),
    fixed_fee: c.feesCents > 0 ? centsToNumber(FIXED_FEE_CENTS) : 0,
    discount_fee: c.feesCents > 0 ? centsToNumber(c.feesCents - FIXED_FEE_CENTS) : 0,
    discount_fee_rate: FEE_RATE,
    failed_reason: c.failedReason,
    order: null,
    payment_provider: {
      code: 'hitpay_sandbox',
      charge: { method: c.paymentMethod, details: isCard ? { brand: 'visa', last4: '4242' } : null },
    },
    payment_request_id: c.paymentRequestId,
    recurring_billing_id: c.recurringBillingId,
    reference_number: referenceNumber,
    created_at: sgTimestamp(c.createdAt),
    updated_at: sgTimestamp(c.updatedAt),
  };
}

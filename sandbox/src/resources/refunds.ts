/**
 * Refunds: `POST /v1/refund {payment_id, amount}` (partial refunds add up to at most the amount
 * paid) and `GET /v1/refund/{id}`. A refund moves the payment to `refunded`/`partially_refunded`
 * and fires `charge.updated`.
 */
import { randomUUID } from 'node:crypto';
import { centsToNumber, centsToString } from '../amounts.js';
import type { Handler, SandboxContext } from '../context.js';
import { fieldInvalid, modelNotFound, refused } from '../errors.js';
import { json } from '../http/reply.js';
import type { BusinessRecord, RefundRecord } from '../state.js';
import { sgTimestamp, utcMicros } from '../time.js';
import { Validator } from '../validation.js';
import { v2Webhooks } from '../webhooks/events.js';
import { findCharge, renderCharge } from './charges.js';

function render(ctx: SandboxContext, business: BusinessRecord, r: RefundRecord): Record<string, unknown> {
  const c = ctx.state.charges[r.paymentId];
  return {
    id: r.id,
    refunded_by: business.name,
    payment_id: r.paymentId,
    amount_refunded: centsToNumber(r.amountCents),
    total_amount: c ? centsToNumber(c.amountCents) : null,
    currency: c?.currency ?? null,
    status: 'succeeded',
    payment_method: c?.paymentMethod ?? null,
    provider_fee: null,
    provider_fee_currency: null,
    refunded_at: utcMicros(r.createdAt),
    created_at: sgTimestamp(r.createdAt),
  };
}

/** `POST /v1/refund` */
export const createRefund: Handler = (ctx, req) => {
  const business = req.business!;
  const v = new Validator(req.body);
  const paymentId = v.string('payment_id', { required: true, max: 64 });
  const amountCents = v.amount('amount', { required: true, min: '0.01', max: '999999999.99' });
  v.url('webhook');
  v.boolean('send_email');
  v.done();
  const charge = findCharge(ctx, business, paymentId!);
  if (charge.status !== 'succeeded' && charge.status !== 'partially_refunded') {
    throw refused(400, `The payment is ${charge.status} and cannot be refunded.`);
  }
  const left = charge.amountCents - charge.refundedCents;
  if (amountCents! > left) {
    throw fieldInvalid('amount', `The amount must be less than or equal to ${centsToString(left)}.`);
  }
  const now = ctx.now();
  const refund: RefundRecord = {
    id: randomUUID(),
    businessId: business.id,
    paymentId: charge.id,
    amountCents: amountCents!,
    createdAt: now,
  };
  ctx.state.refunds[refund.id] = refund;
  charge.refundedCents += refund.amountCents;
  charge.status = charge.refundedCents >= charge.amountCents ? 'refunded' : 'partially_refunded';
  charge.updatedAt = now;
  ctx.stats.created.refunds++;
  ctx.changed();
  const reference = charge.paymentRequestId
    ? (ctx.state.paymentRequests[charge.paymentRequestId]?.referenceNumber ?? null)
    : charge.recurringBillingId
      ? (ctx.state.recurringBillings[charge.recurringBillingId]?.reference ?? null)
      : null;
  req.emit(v2Webhooks(ctx, business, 'charge.updated', renderCharge(charge, reference)));
  return json(200, render(ctx, business, refund));
};

/** `GET /v1/refund/{id}` */
export const getRefund: Handler = (ctx, req) => {
  const business = req.business!;
  const refund = ctx.state.refunds[req.params.id!];
  if (!refund || refund.businessId !== business.id) throw modelNotFound('Refund', req.params.id!);
  return json(200, render(ctx, business, refund));
};

/**
 * `POST /v1/charge/recurring-billing/{id}` `{amount, currency}`: charges a saved method
 * synchronously. Success is 200 `{payment_id, recurring_billing_id, amount, currency,
 * status:"succeeded"}` plus `charge.created`; `total_charge` counts successful charges.
 */
import { centsToNumber } from '../amounts.js';
import type { Handler } from '../context.js';
import { refused, SandboxHttpError } from '../errors.js';
import type { InsufficientFundsMode } from '../faults.js';
import { json } from '../http/reply.js';
import { Validator } from '../validation.js';
import { v2Webhooks } from '../webhooks/events.js';
import { createCharge, renderCharge } from './charges.js';
import { findRecurringBilling } from './recurring-billing.js';

const INSUFFICIENT = 'Payment declined: insufficient funds.';

/** `POST /v1/charge/recurring-billing/{id}`; see the module comment. */
export const chargeSavedMethod: Handler = (ctx, req) => {
  const business = req.business!;
  const rb = findRecurringBilling(ctx, business, req.params.id!);
  const v = new Validator(req.body);
  const amountCents = v.amount('amount', { required: true, min: '0.3', max: '9999999.99' });
  const currency = v.currency('currency', { required: true });
  v.done();
  if (rb.status !== 'active' || rb.chargeMethod === null) {
    throw refused(400, `The recurring billing is ${rb.status} and has no saved payment method to charge.`);
  }
  const declineMode: InsufficientFundsMode | undefined =
    req.fault.insufficientFunds === 'default'
      ? ctx.options.insufficientFundsMode
      : req.fault.insufficientFunds;
  if (declineMode === '422' || declineMode === '400') {
    const status = Number(declineMode);
    throw new SandboxHttpError(
      status,
      status === 422
        ? { message: INSUFFICIENT, errors: { amount: [INSUFFICIENT] } }
        : { message: INSUFFICIENT },
    );
  }
  const charge = createCharge(ctx, {
    businessId: business.id,
    channel: 'recurrent',
    recurringBillingId: rb.id,
    status: declineMode === 'failed' ? 'failed' : 'succeeded',
    amountCents: amountCents!,
    currency: currency!,
    paymentMethod: rb.chargeMethod,
    failedReason: declineMode === 'failed' ? 'insufficient_funds' : undefined,
    buyerEmail: rb.customerEmail,
    buyerName: rb.customerName,
  });
  const body: Record<string, unknown> = {
    payment_id: charge.id,
    recurring_billing_id: rb.id,
    amount: centsToNumber(charge.amountCents),
    currency: charge.currency,
    status: charge.status,
  };
  if (charge.status === 'failed') {
    body.failed_reason = charge.failedReason;
    body.message = INSUFFICIENT;
    return json(200, body);
  }
  rb.totalCharge++;
  rb.updatedAt = ctx.now();
  ctx.changed();
  req.emit(v2Webhooks(ctx, business, 'charge.created', renderCharge(charge, rb.reference)));
  return json(200, body);
};

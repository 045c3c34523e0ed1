/**
 * A buyer paying (or failing to pay) a payment request, from the checkout page or the test
 * endpoint: records the payment, moves the request's status, and fires the v1 webhook
 * (`payment_request_id`…`hmac`), `payment_request.completed|failed` and `charge.created`.
 */
import { centsToString } from '../amounts.js';
import { businessById } from '../businesses.js';
import type { Handler, SandboxContext } from '../context.js';
import { fieldInvalid, modelNotFound, refused } from '../errors.js';
import { json } from '../http/reply.js';
import type { BusinessRecord, ChargeRecord, PaymentRequestRecord } from '../state.js';
import { Validator } from '../validation.js';
import type { OutgoingWebhook } from '../webhooks/dispatcher.js';
import { v1Webhook, v2Webhooks } from '../webhooks/events.js';
import { createCharge, renderCharge } from './charges.js';
import { refreshExpiry, renderPaymentRequest } from './payment-requests.js';

/** The two outcomes a buyer can produce. */
export type PaymentOutcome = 'completed' | 'failed';

/** How to settle a payment request. */
export interface SettleOptions {
  outcome: PaymentOutcome;
  /** Rail used; must be one of the request's methods. Default: its first method. */
  paymentMethod?: string;
  /** Status-lag fault: GETs that keep showing `pending` (-1: always). */
  statusLag?: number;
}

/** Result of settling: the payment and the webhooks to send. */
export interface Settlement {
  charge: ChargeRecord;
  webhooks: OutgoingWebhook[];
}

/** Whether the request can take a payment now (expiry applied first). */
export function payable(ctx: SandboxContext, pr: PaymentRequestRecord): boolean {
  refreshExpiry(ctx, pr);
  return pr.status === 'pending' || pr.status === 'failed';
}

/** Settles a payment request; throws a 422 when it cannot be paid. See the module comment. */
export function settlePaymentRequest(
  ctx: SandboxContext,
  business: BusinessRecord,
  pr: PaymentRequestRecord,
  opts: SettleOptions,
): Settlement {
  if (!payable(ctx, pr)) throw refused(422, `The payment request is ${pr.status} and cannot be paid.`);
  const method = opts.paymentMethod ?? pr.paymentMethods[0] ?? 'card';
  if (!pr.paymentMethods.includes(method))
    throw fieldInvalid('payment_method', 'The selected payment method is invalid.');
  const charge = createCharge(ctx, {
    businessId: business.id,
    channel: 'payment_gateway',
    paymentRequestId: pr.id,
    status: opts.outcome === 'completed' ? 'succeeded' : 'failed',
    amountCents: pr.amountCents,
    currency: pr.currency,
    paymentMethod: method,
    failedReason: opts.outcome === 'failed' ? 'payment_declined' : undefined,
    buyerName: pr.name,
    buyerEmail: pr.email,
    buyerPhone: pr.phone,
  });
  pr.paymentIds.push(charge.id);
  // A repeat-payment link stays open whatever one buyer's attempt did.
  if (pr.allowRepeatedPayments) pr.status = 'pending';
  else pr.status = opts.outcome;
  pr.statusLagReads = opts.outcome === 'completed' && opts.statusLag !== undefined ? opts.statusLag : 0;
  pr.updatedAt = ctx.now();
  ctx.stats.outcomes[opts.outcome]++;
  ctx.changed();

  const webhooks: OutgoingWebhook[] = [];
  if (pr.webhook) {
    webhooks.push(
      v1Webhook(business, pr.webhook, `payment_request.${opts.outcome}`, {
        payment_id: charge.id,
        payment_request_id: pr.id,
        phone: pr.phone ?? '',
        amount: centsToString(charge.amountCents),
        currency: charge.currency.toUpperCase(),
        status: opts.outcome,
        reference_number: pr.referenceNumber ?? '',
      }),
    );
  }
  const object = renderPaymentRequest(ctx, business, pr);
  // A completed event reports `completed` even for repeat-payment links, whose status stays pending.
  if (opts.outcome === 'completed') object.status = 'completed';
  const event = `payment_request.${opts.outcome}`;
  const payload =
    ctx.options.paymentRequestEventShape === 'wrapped' ? { event, payment_request: object } : object;
  webhooks.push(...v2Webhooks(ctx, business, event, payload));
  if (charge.status === 'succeeded') {
    webhooks.push(...v2Webhooks(ctx, business, 'charge.created', renderCharge(charge, pr.referenceNumber)));
  }
  return { charge, webhooks };
}

/** Reads `status`/`payment_method` of a pay request (checkout form or test endpoint). */
export function readSettleBody(body: Record<string, unknown>): { outcome: PaymentOutcome; method?: string } {
  const v = new Validator(body);
  const status = v.string('status', { max: 32 }) ?? 'completed';
  if (status !== 'completed' && status !== 'failed') v.fail('status', 'The selected status is invalid.');
  const method = v.string('payment_method', { max: 64 });
  v.done();
  return { outcome: status as PaymentOutcome, method };
}

/**
 * `POST /_sandbox/payment-requests/{id}/pay` `{status?: "completed"|"failed", payment_method?}`:
 * what the checkout page's buttons do, without a browser. Answers the payment request as GET would.
 */
export const payPaymentRequestForTest: Handler = (ctx, req) => {
  const pr = ctx.state.paymentRequests[req.params.id!];
  if (!pr) throw modelNotFound('PaymentRequest', req.params.id!);
  const business = businessById(ctx, pr.businessId)!;
  const { outcome, method } = readSettleBody(req.body);
  const settled = settlePaymentRequest(ctx, business, pr, {
    outcome,
    paymentMethod: method,
    statusLag: req.fault.statusLag,
  });
  req.emit(settled.webhooks);
  return json(200, renderPaymentRequest(ctx, business, pr));
};

/**
 * Save-payment-method sessions (`POST /v1/recurring-billing` with `save_payment_method=true`), the
 * recurring-billing object, its approval (attach) and cancellation (detach), with the wrapped
 * `recurring_billing.*` v2 envelope `{event, affected_method_id, recurring_billing}`.
 */
import { randomUUID } from 'node:crypto';
import { centsToNumber } from '../amounts.js';
import { businessById } from '../businesses.js';
import type { Handler, SandboxContext } from '../context.js';
import { fieldInvalid, modelNotFound, refused } from '../errors.js';
import { json } from '../http/reply.js';
import type { BusinessRecord, RecurringBillingRecord } from '../state.js';
import { sgTimestamp } from '../time.js';
import { Validator } from '../validation.js';
import type { OutgoingWebhook } from '../webhooks/dispatcher.js';
import { v1Webhook, v2Webhooks } from '../webhooks/events.js';

/** Rails a method can be saved on. `shopee_recurring` is the code some HitPay guides use for ShopeePay. */
export const SAVEABLE_METHODS: ReadonlySet<string> = new Set([
  'card',
  'grabpay_direct',
  'shopee_pay',
  'shopee_recurring',
  'touch_n_go',
]);

/** Rails that can answer `generate_direct_link` (a wallet deep link instead of the hosted page). */
const DIRECT_LINK_METHODS = new Set(['grabpay_direct', 'shopee_pay', 'shopee_recurring', 'touch_n_go']);

/** The hosted page where the customer attaches a method: `/<business-id>/recurring-plan/<id>`. */
export function approvalUrl(ctx: SandboxContext, rb: RecurringBillingRecord): string {
  return `${ctx.baseUrl()}/${rb.businessId}/recurring-plan/${rb.id}`;
}

/** A recurring billing of this business, or HitPay's 404. */
export function findRecurringBilling(
  ctx: SandboxContext,
  business: BusinessRecord,
  id: string,
): RecurringBillingRecord {
  const rb = ctx.state.recurringBillings[id];
  if (!rb || rb.businessId !== business.id) throw modelNotFound('RecurringBilling', id);
  return rb;
}

/** The recurring-billing object (hitpay.md §4.2). */
export function renderRecurringBilling(
  ctx: SandboxContext,
  rb: RecurringBillingRecord,
): Record<string, unknown> {
  const amount = rb.amountCents === null ? null : centsToNumber(rb.amountCents);
  const attached = rb.chargeMethod !== null && rb.defaultMethodId !== null;
  const out: Record<string, unknown> = {
    id: rb.id,
    business_recurring_plans_id: null,
    customer_name: rb.customerName,
    customer_email: rb.customerEmail,
    name: rb.name,
    description: rb.description,
    reference: rb.reference,
    cycle: 'save_card',
    cycle_repeat: null,
    cycle_frequency: null,
    currency: rb.currency,
    price: amount,
    amount,
    times_to_be_charged: null,
    times_charged: null,
    status: rb.status,
    send_email: rb.sendEmail ? 1 : 0,
    save_card: 1,
    save_payment_method: 1,
    redirect_url: rb.redirectUrl,
    webhook: rb.webhook,
    payment_methods: rb.paymentMethods,
    payment_provider_charge_method: rb.chargeMethod,
    created_at: sgTimestamp(rb.createdAt),
    updated_at: sgTimestamp(rb.updatedAt),
    pause_from: null,
    pause_until: null,
    expires_at: null,
    url: approvalUrl(ctx, rb),
    total_charge: rb.totalCharge,
    payment_method: rb.chargeMethod === 'card' ? { card: { brand: 'visa', last4: '4242' } } : null,
    default_method: attached
      ? {
          id: rb.defaultMethodId,
          payment_provider: rb.chargeMethod,
          payment_provider_charge_method: rb.chargeMethod,
          subscription_id: rb.id,
          status: rb.status === 'canceled' ? 'detached' : 'completed',
        }
      : null,
    methods: [],
  };
  if (rb.directLink) {
    out.direct_link = {
      direct_link_url: `${approvalUrl(ctx, rb)}?direct=1`,
      direct_link_app_url: null,
      expiry_time: null,
    };
  }
  return out;
}

function envelope(ctx: SandboxContext, rb: RecurringBillingRecord, event: string, methodId: string | null) {
  return { event, affected_method_id: methodId, recurring_billing: renderRecurringBilling(ctx, rb) };
}

/** `POST /v1/recurring-billing` (save sessions only). */
export const createRecurringBilling: Handler = (ctx, req) => {
  const business = req.business!;
  const v = new Validator(req.body);
  const customerEmail = v.email('customer_email', { required: true });
  const save = v.boolean('save_payment_method') ?? v.boolean('save_card') ?? false;
  if (v.present('times_to_be_charged') && save) {
    v.fail('times_to_be_charged', 'You cant set times_to_be_charged for save_card is true');
  }
  const name = v.string('name', { required: true, max: 255 });
  const methods = v.enumArray('payment_methods', SAVEABLE_METHODS) ?? ['card'];
  const directLink = v.boolean('generate_direct_link') ?? false;
  const fields = {
    customerName: v.string('customer_name', { max: 255 }) ?? null,
    description: v.string('description', { max: 1000 }) ?? null,
    reference: v.string('reference', { max: 255 }) ?? null,
    currency: v.currency('currency') ?? 'sgd',
    amountCents: v.amount('amount', { min: '0', max: '999999.99' }) ?? null,
    sendEmail: v.boolean('send_email') ?? false,
    redirectUrl: v.url('redirect_url', { max: 1028 }) ?? null,
    webhook: v.url('webhook') ?? null,
  };
  v.string('start_date_method', { max: 32 });
  v.done();
  if (!save) {
    throw fieldInvalid(
      'save_payment_method',
      'The sandbox only supports save_payment_method sessions (subscriptions need a plan).',
    );
  }
  if (directLink && (methods.length !== 1 || !DIRECT_LINK_METHODS.has(methods[0]!))) {
    throw refused(400, 'generate_direct_link needs exactly one of grabpay_direct, shopee_pay or touch_n_go.');
  }
  const now = ctx.now();
  const rb: RecurringBillingRecord = {
    ...fields,
    id: randomUUID(),
    businessId: business.id,
    customerEmail: customerEmail!,
    name: name!,
    status: ctx.options.recurringInitialStatus,
    paymentMethods: methods,
    chargeMethod: null,
    defaultMethodId: null,
    directLink,
    totalCharge: 0,
    createdAt: now,
    updatedAt: now,
  };
  ctx.state.recurringBillings[rb.id] = rb;
  ctx.stats.created.recurringBillings++;
  ctx.changed();
  return json(200, renderRecurringBilling(ctx, rb));
};

/** `GET /v1/recurring-billing/{id}` */
export const getRecurringBilling: Handler = (ctx, req) =>
  json(200, renderRecurringBilling(ctx, findRecurringBilling(ctx, req.business!, req.params.id!)));

/** `GET /v1/recurring-billing?reference&customer_email&status` (Laravel paginator, newest first). */
export const listRecurringBillings: Handler = (ctx, req) => {
  const business = req.business!;
  const v = new Validator(req.query);
  const perPage = v.integer('per_page', { min: 1, max: 100 }) ?? 10;
  const page = v.integer('current_page', { min: 1 }) ?? v.integer('page', { min: 1 }) ?? 1;
  const reference = v.string('reference', { max: 255 });
  const email = v.string('customer_email', { max: 255 });
  const status = v.string('status', { max: 32 });
  v.done();
  const hits = Object.values(ctx.state.recurringBillings)
    .filter(
      (rb) =>
        rb.businessId === business.id &&
        (reference === undefined || rb.reference === reference) &&
        (email === undefined || rb.customerEmail === email) &&
        (status === undefined || rb.status === status),
    )
    .reverse()
    .sort((a, b) => b.createdAt - a.createdAt);
  const lastPage = Math.max(1, Math.ceil(hits.length / perPage));
  const slice = hits.slice((page - 1) * perPage, page * perPage);
  const from = slice.length > 0 ? (page - 1) * perPage + 1 : null;
  return json(200, {
    data: slice.map((rb) => renderRecurringBilling(ctx, rb)),
    meta: {
      current_page: page,
      from,
      last_page: lastPage,
      per_page: perPage,
      to: from === null ? null : from + slice.length - 1,
      total: hits.length,
    },
  });
};

/** `DELETE /v1/recurring-billing/{id}`: status `canceled`, `method_detached` if one was attached. */
export const deleteRecurringBilling: Handler = (ctx, req) => {
  const business = req.business!;
  const rb = findRecurringBilling(ctx, business, req.params.id!);
  if (rb.status !== 'canceled') {
    const wasAttached = rb.status === 'active' && rb.defaultMethodId !== null;
    rb.status = 'canceled';
    rb.updatedAt = ctx.now();
    ctx.changed();
    if (wasAttached) {
      const event = 'recurring_billing.method_detached';
      req.emit(v2Webhooks(ctx, business, event, envelope(ctx, rb, event, rb.defaultMethodId)));
    }
  }
  return json(200, renderRecurringBilling(ctx, rb));
};

/** Approve or decline outcome for the wallet page and the test endpoint. */
export interface ApprovalResult {
  rb: RecurringBillingRecord;
  webhooks: OutgoingWebhook[];
}

/**
 * The customer approves (attach: status `active`, `method_attached`) or declines (nothing changes:
 * the session stays open, as a wallet decline leaves it at HitPay). Only an open session can be acted on.
 */
export function decideRecurringBilling(
  ctx: SandboxContext,
  rb: RecurringBillingRecord,
  decision: { approve: boolean; paymentMethod?: string },
): ApprovalResult {
  if (rb.status !== ctx.options.recurringInitialStatus || rb.defaultMethodId !== null) {
    throw refused(422, `The recurring billing is ${rb.status} and cannot be approved.`);
  }
  const method = decision.paymentMethod ?? rb.paymentMethods[0]!;
  if (!rb.paymentMethods.includes(method))
    throw fieldInvalid('payment_method', 'The selected payment method is invalid.');
  if (!decision.approve) {
    ctx.stats.outcomes.declined++;
    return { rb, webhooks: [] };
  }
  const business = businessById(ctx, rb.businessId)!;
  rb.status = 'active';
  rb.chargeMethod = method;
  rb.defaultMethodId = randomUUID();
  rb.updatedAt = ctx.now();
  ctx.stats.outcomes.approved++;
  ctx.changed();
  const event = 'recurring_billing.method_attached';
  const webhooks = v2Webhooks(ctx, business, event, envelope(ctx, rb, event, rb.defaultMethodId));
  if (rb.webhook) {
    // HitPay documents no v1 body for save sessions; these fields are the sandbox's guess.
    webhooks.unshift(
      v1Webhook(business, rb.webhook, event, {
        recurring_billing_id: rb.id,
        reference: rb.reference ?? '',
        status: rb.status,
        payment_provider_charge_method: method,
        customer_email: rb.customerEmail,
      }),
    );
  }
  return { rb, webhooks };
}

/** `POST /_sandbox/recurring-billing/{id}/approve` `{payment_method?, decline?}`: the wallet page without a browser. */
export const approveRecurringBillingForTest: Handler = (ctx, req) => {
  const rb = ctx.state.recurringBillings[req.params.id!];
  if (!rb) throw modelNotFound('RecurringBilling', req.params.id!);
  const v = new Validator(req.body);
  const paymentMethod = v.string('payment_method', { max: 64 });
  const decline = v.boolean('decline') ?? false;
  v.done();
  const result = decideRecurringBilling(ctx, rb, { approve: !decline, paymentMethod });
  req.emit(result.webhooks);
  return json(200, renderRecurringBilling(ctx, rb));
};

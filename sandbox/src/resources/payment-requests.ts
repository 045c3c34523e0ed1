/**
 * Payment requests: `POST/GET/PUT/DELETE /v1/payment-requests[/{id}]` with HitPay's field names,
 * Laravel validation messages and pagination, plus the expiry and status-lag behaviour.
 */
import { randomUUID } from 'node:crypto';
import { centsToString } from '../amounts.js';
import type { Handler, SandboxContext } from '../context.js';
import { modelNotFound, refused } from '../errors.js';
import { json, type Reply } from '../http/reply.js';
import { payNowPayload } from '../paynow-qr.js';
import type { BusinessRecord, PaymentRequestRecord } from '../state.js';
import { parseExpiresAfter, parseSgDateTime, sgDateCompact, sgTimestamp } from '../time.js';
import { type Input, Validator } from '../validation.js';
import { renderPaymentEntry } from './charges.js';

/** Method codes accepted in `payment_methods[]` (SG and MY rails from HitPay's reference). */
export const PAYMENT_METHODS: ReadonlySet<string> = new Set([
  'paynow_online',
  'card',
  'grabpay_direct',
  'grabpay_paylater',
  'shopee_pay',
  'atome',
  'wechat_pay',
  'wechat',
  'alipay',
  'fpx',
  'touch_n_go',
  'duitnow',
  'qrph_netbank',
  'gcash',
  'doku_qris',
  'promptpay',
  'zalopay',
]);

/** Methods that can render a QR (`generate_qr`). */
const QR_METHODS = [
  'paynow_online',
  'shopee_pay',
  'qrph_netbank',
  'doku_qris',
  'duitnow',
  'promptpay',
  'zalopay',
];

/** What the sandbox account "has enabled" when `payment_methods` is omitted. */
export const DEFAULT_METHODS = ['paynow_online', 'card'];

const QR_TTL_MS = 30 * 60_000;

type StoredFields = Omit<
  PaymentRequestRecord,
  'id' | 'businessId' | 'status' | 'qr' | 'paymentIds' | 'statusLagReads' | 'createdAt' | 'updatedAt'
>;

interface PaymentRequestFields {
  stored: StoredFields;
  generateQr: boolean;
}

/** Validates a create/update body (they take the same fields). */
function readFields(ctx: SandboxContext, body: Input): PaymentRequestFields {
  const v = new Validator(body);
  const amountCents = v.amount('amount', { required: true, min: '0.3', max: '999999999.99' });
  const currency = v.currency('currency', { required: true });
  const paymentMethods = v.enumArray('payment_methods', PAYMENT_METHODS);
  const stored = {
    name: v.string('name', { max: 255 }) ?? null,
    email: v.email('email') ?? null,
    phone: v.string('phone', { max: 255 }) ?? null,
    purpose: v.string('purpose', { max: 255 }) ?? null,
    referenceNumber: v.string('reference_number', { max: 255 }) ?? null,
    redirectUrl: v.url('redirect_url', { max: 1028 }) ?? null,
    webhook: v.url('webhook') ?? null,
    allowRepeatedPayments: v.boolean('allow_repeated_payments') ?? false,
    sendEmail: v.boolean('send_email') ?? false,
    // HitPay's default is true; the sandbox never sends anything, it only echoes the flag.
    sendSms: v.boolean('send_sms') ?? true,
    metadata: v.stringMap('metadata', { maxKeys: 50, maxLength: 500 }) ?? null,
  };
  const generateQr = v.boolean('generate_qr') ?? false;
  v.boolean('add_admin_fee');
  let expiresAt: number | null = null;
  const expiryDate = v.string('expiry_date');
  if (expiryDate !== undefined) {
    const at = parseSgDateTime(expiryDate);
    if (at === undefined) v.fail('expiry_date', 'The expiry date does not match the format Y-m-d H:i:s.');
    else if (at <= ctx.now()) v.fail('expiry_date', 'The expiry date must be a date after now.');
    else expiresAt = at;
  }
  const expiresAfter = v.string('expires_after');
  if (expiresAfter !== undefined) {
    const ms = parseExpiresAfter(expiresAfter);
    if (ms === undefined) v.fail('expires_after', 'The expires after format is invalid.');
    else expiresAt = ctx.now() + ms;
  }
  const methods = paymentMethods ?? DEFAULT_METHODS;
  if (generateQr && !methods.some((m) => QR_METHODS.includes(m))) {
    v.fail('payment_methods', 'The payment methods must include a QR method when generate qr is true.');
  }
  v.done();
  return {
    stored: { ...stored, amountCents: amountCents!, currency: currency!, paymentMethods: methods, expiresAt },
    generateQr,
  };
}

/** The QR data of a request: a PayNow EMV payload for its amount and reference. */
export function qrFor(
  ctx: SandboxContext,
  business: BusinessRecord,
  pr: PaymentRequestRecord,
): PaymentRequestRecord['qr'] {
  const expiry = pr.expiresAt ?? ctx.now() + QR_TTL_MS;
  const payload = payNowPayload({
    proxy: { type: 'uen', value: business.uen },
    amount: centsToString(pr.amountCents),
    currency: pr.currency,
    merchantName: business.name,
    reference: pr.referenceNumber ?? pr.id.slice(0, 25),
    expiry: sgDateCompact(expiry),
  });
  return { qr_code: payload, qr_code_expiry: sgTimestamp(expiry) };
}

/** The hosted checkout URL, mirroring `securecheckout…/payment-request/@<slug>/<id>/checkout`. */
export function checkoutUrl(ctx: SandboxContext, business: BusinessRecord, id: string): string {
  return `${ctx.baseUrl()}/payment-request/@${business.slug}/${id}/checkout`;
}

/** Moves a pending request past its expiry to `expired` (HitPay does this on its own clock). */
export function refreshExpiry(ctx: SandboxContext, pr: PaymentRequestRecord): void {
  if (pr.status === 'pending' && pr.expiresAt !== null && pr.expiresAt <= ctx.now()) {
    pr.status = 'expired';
    pr.updatedAt = pr.expiresAt;
    ctx.changed();
  }
}

/** A payment request of this business (expiry applied), or HitPay's 404. */
export function findPaymentRequest(
  ctx: SandboxContext,
  business: BusinessRecord,
  id: string,
): PaymentRequestRecord {
  const pr = ctx.state.paymentRequests[id];
  if (!pr || pr.businessId !== business.id) throw modelNotFound('PaymentRequest', id);
  refreshExpiry(ctx, pr);
  return pr;
}

/**
 * The wire object. `lagged` shows a completed request as `pending` (the status-lag fault);
 * `payments` is omitted from the create response, as in HitPay's examples.
 */
export function renderPaymentRequest(
  ctx: SandboxContext,
  business: BusinessRecord,
  pr: PaymentRequestRecord,
  view: { payments?: boolean; lagged?: boolean } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: pr.id,
    name: pr.name,
    email: pr.email,
    phone: pr.phone,
    amount: centsToString(pr.amountCents),
    currency: pr.currency,
    is_currency_editable: false,
    status: view.lagged && pr.status === 'completed' ? 'pending' : pr.status,
    purpose: pr.purpose,
    reference_number: pr.referenceNumber,
    payment_methods: pr.paymentMethods,
    url: checkoutUrl(ctx, business, pr.id),
    redirect_url: pr.redirectUrl,
    webhook: pr.webhook,
    send_sms: pr.sendSms,
    send_email: pr.sendEmail,
    sms_status: 'pending',
    email_status: 'pending',
    allow_repeated_payments: pr.allowRepeatedPayments,
    expiry_date: pr.expiresAt === null ? null : sgTimestamp(pr.expiresAt),
    address: null,
    line_items: null,
    executor_id: null,
    created_at: sgTimestamp(pr.createdAt),
    updated_at: sgTimestamp(pr.updatedAt),
    staff_id: null,
    business_location_id: null,
    metadata: pr.metadata,
  };
  if (pr.qr) out.qr_code_data = pr.qr;
  if (view.payments !== false) {
    out.payments = pr.paymentIds.flatMap((id) => {
      const c = ctx.state.charges[id];
      return c ? [renderPaymentEntry(c)] : [];
    });
  }
  return out;
}

/** `POST /v1/payment-requests` */
export const createPaymentRequest: Handler = (ctx, req) => {
  const business = req.business!;
  const fields = readFields(ctx, req.body);
  const now = ctx.now();
  const pr: PaymentRequestRecord = {
    ...fields.stored,
    id: randomUUID(),
    businessId: business.id,
    status: 'pending',
    qr: null,
    paymentIds: [],
    statusLagReads: 0,
    createdAt: now,
    updatedAt: now,
  };
  if (fields.generateQr) pr.qr = qrFor(ctx, business, pr);
  ctx.state.paymentRequests[pr.id] = pr;
  ctx.stats.created.paymentRequests++;
  ctx.changed();
  return json(200, renderPaymentRequest(ctx, business, pr, { payments: false }));
};

/** `GET /v1/payment-requests/{id}` */
export const getPaymentRequest: Handler = (ctx, req) => {
  const business = req.business!;
  const pr = findPaymentRequest(ctx, business, req.params.id!);
  const lagged = pr.statusLagReads !== 0;
  if (pr.statusLagReads > 0) {
    pr.statusLagReads--;
    ctx.changed();
  }
  return json(200, renderPaymentRequest(ctx, business, pr, { lagged }));
};

/** `PUT /v1/payment-requests/{id}`: same body as create; only pending requests change. */
export const updatePaymentRequest: Handler = (ctx, req) => {
  const business = req.business!;
  const pr = findPaymentRequest(ctx, business, req.params.id!);
  if (pr.status !== 'pending')
    throw refused(400, `The payment request is ${pr.status} and cannot be updated.`);
  const fields = readFields(ctx, req.body);
  Object.assign(pr, fields.stored);
  pr.qr = fields.generateQr ? qrFor(ctx, business, pr) : null;
  pr.updatedAt = ctx.now();
  ctx.changed();
  return json(200, renderPaymentRequest(ctx, business, pr));
};

/** `DELETE /v1/payment-requests/{id}`: `{success:true}`; a completed request stays. */
export const deletePaymentRequest: Handler = (ctx, req) => {
  const pr = findPaymentRequest(ctx, req.business!, req.params.id!);
  if (pr.status === 'completed') throw refused(400, 'A completed payment request cannot be deleted.');
  delete ctx.state.paymentRequests[pr.id];
  ctx.changed();
  return json(200, { success: true });
};

/** `GET /v1/payment-requests?per_page&current_page&search&status&metadata[k]=v` (Laravel paginator). */
export const listPaymentRequests: Handler = (ctx, req): Reply => {
  const business = req.business!;
  const v = new Validator(req.query);
  const perPage = v.integer('per_page', { min: 1, max: 100 }) ?? 10;
  const page = v.integer('current_page', { min: 1 }) ?? v.integer('page', { min: 1 }) ?? 1;
  const search = v.string('search', { max: 255 })?.toLowerCase();
  const status = v.string('status', { max: 32 });
  const metadata = v.stringMap('metadata', { maxKeys: 50, maxLength: 500 });
  v.done();
  const all = Object.values(ctx.state.paymentRequests)
    .filter((pr) => pr.businessId === business.id)
    .reverse()
    .sort((a, b) => b.createdAt - a.createdAt);
  for (const pr of all) refreshExpiry(ctx, pr);
  const hits = all.filter((pr) => {
    if (status && pr.status !== status) return false;
    if (metadata && Object.entries(metadata).some(([k, val]) => pr.metadata?.[k] !== val)) return false;
    if (!search) return true;
    return [pr.id, pr.referenceNumber, pr.purpose, pr.name, pr.email, pr.phone].some((f) =>
      f?.toLowerCase().includes(search),
    );
  });
  const total = hits.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const slice = hits.slice((page - 1) * perPage, page * perPage);
  const path = `${ctx.baseUrl()}/v1/payment-requests`;
  const link = (n: number) => `${path}?current_page=${n}`;
  const from = slice.length > 0 ? (page - 1) * perPage + 1 : null;
  return json(200, {
    data: slice.map((pr) => renderPaymentRequest(ctx, business, pr, { lagged: pr.statusLagReads !== 0 })),
    links: {
      first: link(1),
      last: link(lastPage),
      prev: page > 1 ? link(page - 1) : null,
      next: page < lastPage ? link(page + 1) : null,
    },
    meta: {
      current_page: page,
      from,
      last_page: lastPage,
      path,
      per_page: perPage,
      to: from === null ? null : from + slice.length - 1,
      total,
    },
  });
};

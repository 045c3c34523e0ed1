/**
 * Request parameters of the HitPay client, named as HitPay names them (so its docs apply as-is),
 * and their JSON bodies. Amounts go out as HitPay documents them: a decimal string for payment
 * requests, a number for charges and refunds; never with more than 2 decimals.
 */
import { MppError } from '@hit-pay/mpp/protocol';

/** Parameters of `POST /v1/payment-requests`. */
export interface CreatePaymentRequestParams {
  /** Major units: `"12.50"` or `12.5`; at most 2 decimals. */
  amount: string | number;
  /** ISO 4217 letters, any case. */
  currency: string;
  /**
   * Your id for the request (the broker uses its challenge id). With it, a create whose outcome
   * is unknown is retried only after looking the request up by this value.
   */
  reference_number?: string;
  purpose?: string;
  email?: string;
  name?: string;
  phone?: string;
  redirect_url?: string;
  /** v1 webhook URL (form-encoded callback signed with the API salt). */
  webhook?: string;
  payment_methods?: string[];
  /** Expiry in minutes, sent as `expires_after: "N mins"` (HitPay's sandbox rejects `"1 hour"`). */
  expires_after_minutes?: number;
  /** Absolute expiry `YYYY-MM-DD HH:mm:ss` in Singapore time. */
  expiry_date?: string;
  generate_qr?: boolean;
  allow_repeated_payments?: boolean;
  /** Default false (HitPay's default for SMS is true). */
  send_sms?: boolean;
  /** Default false. */
  send_email?: boolean;
  metadata?: Record<string, string>;
}

/** Query of `GET /v1/payment-requests`. */
export interface ListPaymentRequestsParams {
  /** 1–100, default 10. */
  per_page?: number;
  current_page?: number;
  search?: string;
}

/** Parameters of a save-payment-method session (`POST /v1/recurring-billing`). */
export interface CreateRecurringBillingParams {
  customer_email: string;
  /** Shown to the customer; HitPay requires it for save sessions. */
  name: string;
  /** Rails to offer: `grabpay_direct`, `shopee_pay`, `touch_n_go`, `card`. */
  payment_methods: string[];
  /** Your id for the session (HitPay's field is `reference`, not `reference_number`). */
  reference?: string;
  customer_name?: string;
  description?: string;
  redirect_url?: string;
  webhook?: string;
  currency?: string;
  amount?: string | number;
  /** Ask for a wallet deep link (exactly one wallet method). */
  generate_direct_link?: boolean;
  /** Default false. */
  send_email?: boolean;
}

/** Parameters of `POST /v1/charge/recurring-billing/{id}`. */
export interface ChargeSavedMethodParams {
  amount: string | number;
  currency: string;
}

/** Parameters of `POST /v1/refund`. */
export interface CreateRefundParams {
  /** `payments[].id` of a payment request, or `payment_id` of a saved-method charge. */
  payment_id: string;
  amount: string | number;
}

/** Parameters of `POST /v1/webhook-events`. */
export interface CreateWebhookEndpointParams {
  name: string;
  /** HitPay requires https. */
  url: string;
  event_types: string[];
}

const TWO_DECIMALS = /^\d{1,13}(\.\d{1,2})?$/;

/** Validates an outgoing amount and returns it as a plain decimal string. */
export function outgoingAmount(value: string | number, field = 'amount'): string {
  const text =
    typeof value === 'number' && Number.isFinite(value)
      ? String(value)
      : typeof value === 'string'
        ? value.trim()
        : '';
  if (!TWO_DECIMALS.test(text)) {
    throw new MppError(
      'bad-request',
      `${field} must be a non-negative decimal with at most 2 decimals, got ${String(value).slice(0, 30)}`,
    );
  }
  return text;
}

const currency = (c: string) => {
  if (!/^[A-Za-z]{3}$/.test(c))
    throw new MppError('bad-request', `currency must be 3 letters, got ${c.slice(0, 10)}`);
  return c.toUpperCase();
};

const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** JSON body of a payment-request create or update. */
export function paymentRequestBody(p: CreatePaymentRequestParams): Record<string, unknown> {
  const minutes = p.expires_after_minutes;
  if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1)) {
    throw new MppError('bad-request', 'expires_after_minutes must be a positive integer');
  }
  return defined({
    amount: outgoingAmount(p.amount),
    currency: currency(p.currency),
    reference_number: p.reference_number,
    purpose: p.purpose,
    email: p.email,
    name: p.name,
    phone: p.phone,
    redirect_url: p.redirect_url,
    webhook: p.webhook,
    payment_methods: p.payment_methods,
    expires_after: minutes === undefined ? undefined : `${minutes} mins`,
    expiry_date: p.expiry_date,
    generate_qr: p.generate_qr,
    allow_repeated_payments: p.allow_repeated_payments,
    send_sms: p.send_sms ?? false,
    send_email: p.send_email ?? false,
    metadata: p.metadata,
  });
}

/** JSON body of a save session; never sends `times_to_be_charged`, which save sessions reject. */
export function recurringBillingBody(p: CreateRecurringBillingParams): Record<string, unknown> {
  return defined({
    customer_email: p.customer_email,
    name: p.name,
    save_payment_method: true,
    payment_methods: p.payment_methods,
    reference: p.reference,
    customer_name: p.customer_name,
    description: p.description,
    redirect_url: p.redirect_url,
    webhook: p.webhook,
    currency: p.currency === undefined ? undefined : currency(p.currency),
    amount: p.amount === undefined ? undefined : Number(outgoingAmount(p.amount)),
    generate_direct_link: p.generate_direct_link,
    send_email: p.send_email ?? false,
  });
}

/** JSON body of a saved-method charge. */
export function chargeBody(p: ChargeSavedMethodParams): Record<string, unknown> {
  return { amount: Number(outgoingAmount(p.amount)), currency: currency(p.currency) };
}

/** JSON body of a refund. */
export function refundBody(p: CreateRefundParams): Record<string, unknown> {
  if (typeof p.payment_id !== 'string' || p.payment_id === '')
    throw new MppError('bad-request', 'payment_id is required');
  return { payment_id: p.payment_id, amount: Number(outgoingAmount(p.amount)) };
}

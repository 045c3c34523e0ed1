/**
 * zod schemas for HitPay's responses and webhook bodies. Objects are loose (HitPay adds fields
 * freely), amounts arrive as strings on payment requests and as numbers elsewhere and are
 * normalised to 2-decimal strings, currencies are lowercased, and absent or null optional fields
 * become `null`.
 */
import { z } from 'zod';

const DECIMAL = /^\d{1,13}(\.\d{1,6})?$/;

/**
 * A major-unit amount from HitPay (`"599.00"`, `94.27`, `"599"`) as a 2-decimal string, or
 * undefined when it is not a non-negative decimal.
 */
export function normalizeAmount(value: string | number): string | undefined {
  const text =
    typeof value === 'number' ? (Number.isFinite(value) && value >= 0 ? value.toFixed(6) : '') : value.trim();
  if (!DECIMAL.test(text)) return undefined;
  const [whole = '0', frac = ''] = text.split('.');
  const padded = `${frac}000`;
  let cents = BigInt(whole) * 100n + BigInt(padded.slice(0, 2));
  if (Number(padded[2]) >= 5) cents += 1n;
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

/** Amount (string or number) → 2-decimal string. */
export const amountSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const out = normalizeAmount(v);
  if (out === undefined) {
    ctx.addIssue({ code: 'custom', message: `not an amount: ${String(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return out;
});

/** ISO 4217 letters, any case → lowercase. */
export const currencySchema = z
  .string()
  .regex(/^[A-Za-z]{3}$/)
  .transform((s) => s.toLowerCase());

/** Optional field: absent, null → null. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? null);
const list = <T extends z.ZodType>(schema: T) =>
  z
    .array(schema)
    .nullish()
    .transform((v) => v ?? []);

/** A `payments[]` entry of a payment request; `id` is the payment_id refunds need. */
export const paymentSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  amount: amountSchema,
  currency: currencySchema,
  refunded_amount: opt(amountSchema),
  payment_type: opt(z.string()),
  fees: opt(amountSchema),
  buyer_email: opt(z.string()),
  created_at: opt(z.string()),
});

/** QR data: HitPay's object form, or the bare string some docs show. */
const qrCodeDataSchema = z.union([
  z.string().transform((qr_code) => ({ qr_code, qr_code_expiry: null as string | null })),
  z.looseObject({ qr_code: z.string(), qr_code_expiry: opt(z.string()) }),
]);

/** A payment request (create, get, list item, v2 `payment_request.*` body). */
export const paymentRequestSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  amount: amountSchema,
  currency: currencySchema,
  url: opt(z.string()),
  reference_number: opt(z.string()),
  purpose: opt(z.string()),
  name: opt(z.string()),
  email: opt(z.string()),
  phone: opt(z.string()),
  redirect_url: opt(z.string()),
  webhook: opt(z.string()),
  payment_methods: list(z.string()),
  expiry_date: opt(z.string()),
  created_at: opt(z.string()),
  updated_at: opt(z.string()),
  qr_code_data: opt(qrCodeDataSchema),
  payments: list(paymentSchema),
});

/** Laravel pagination envelope around a list. */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    data: z.array(item),
    meta: opt(
      z.looseObject({
        current_page: z.coerce.number(),
        last_page: z.coerce.number(),
        per_page: z.coerce.number(),
        total: z.coerce.number(),
      }),
    ),
  });

/** The recurring-billing object (save sessions). */
export const recurringBillingSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  customer_email: opt(z.string()),
  reference: opt(z.string()),
  currency: opt(currencySchema),
  amount: opt(amountSchema),
  payment_methods: list(z.string()),
  payment_provider_charge_method: opt(z.string()),
  url: opt(z.string()),
  total_charge: z.coerce
    .number()
    .nullish()
    .transform((v) => v ?? 0),
  times_charged: opt(z.coerce.number()),
  direct_link: opt(
    z.looseObject({
      direct_link_url: z.string(),
      direct_link_app_url: opt(z.string()),
      expiry_time: opt(z.string()),
    }),
  ),
  default_method: opt(z.looseObject({ id: z.string(), status: opt(z.string()) })),
  created_at: opt(z.string()),
});

/** Answer of `POST /v1/charge/recurring-billing/{id}`. */
export const savedMethodChargeSchema = z.looseObject({
  payment_id: z.string(),
  recurring_billing_id: opt(z.string()),
  amount: amountSchema,
  currency: currencySchema,
  status: z.string(),
  failed_reason: opt(z.string()),
});

/** A refund (`POST /v1/refund`, `GET /v1/refund/{id}`). */
export const refundSchema = z.looseObject({
  id: z.string(),
  payment_id: z.string(),
  amount_refunded: amountSchema,
  total_amount: opt(amountSchema),
  currency: currencySchema,
  status: z.string(),
  payment_method: opt(z.string()),
  refunded_at: opt(z.string()),
  created_at: opt(z.string()),
});

/** A v2 webhook endpoint. */
export const webhookEndpointSchema = z.looseObject({
  id: z.string(),
  business_id: opt(z.string()),
  name: opt(z.string()),
  url: z.string(),
  event_types: list(z.string()),
  created_at: opt(z.string()),
  updated_at: opt(z.string()),
});

/** The endpoint list: a plain array, or wrapped in `{data}`. */
export const webhookEndpointListSchema = z.union([
  z.array(webhookEndpointSchema),
  z.looseObject({ data: z.array(webhookEndpointSchema) }).transform((p) => p.data),
]);

/** `{success: true}` of deletes. */
export const successSchema = z.looseObject({ success: z.boolean().optional() });

/** The v2 Charge object (`charge.created`, `charge.updated`). */
export const chargeSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  amount: amountSchema,
  currency: currencySchema,
  refunded_amount: opt(amountSchema),
  channel: opt(z.string()),
  payment_request_id: opt(z.string()),
  recurring_billing_id: opt(z.string()),
  reference_number: opt(z.string()),
});

export type HitPayPayment = z.output<typeof paymentSchema>;
export type HitPayPaymentRequest = z.output<typeof paymentRequestSchema>;
export type HitPayRecurringBilling = z.output<typeof recurringBillingSchema>;
export type HitPaySavedMethodCharge = z.output<typeof savedMethodChargeSchema>;
export type HitPayRefund = z.output<typeof refundSchema>;
export type HitPayWebhookEndpoint = z.output<typeof webhookEndpointSchema>;
export type HitPayCharge = z.output<typeof chargeSchema>;

/** A page of a Laravel-paginated list. */
export interface HitPayPage<T> {
  data: T[];
  meta: { current_page: number; last_page: number; per_page: number; total: number } | null;
}

/**
 * Verifying HitPay webhooks on the raw bytes, before anything is parsed, in constant time.
 * v1 (form, `hmac` field): HMAC-SHA256 with the **API-key salt** over every other field sorted by
 * key and concatenated as key+value. v2 (JSON, `Hitpay-Signature` header): HMAC-SHA256 with **that
 * endpoint's own salt** over the exact body. Both lowercase hex. A mismatch is
 * `MppError('unauthorized')`; answer it with 401 and never act on the body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MppError } from '@hit-pay/mpp/protocol';
import {
  chargeSchema,
  type HitPayCharge,
  type HitPayPaymentRequest,
  type HitPayRecurringBilling,
  paymentRequestSchema,
  recurringBillingSchema,
} from './schemas.js';

const decoder = new TextDecoder();
const bytes = (raw: Uint8Array | string) => (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);

/** Equal-length comparison without an early exit; different lengths are unequal (digests are fixed-length). */
function constantTimeEqual(expectedHex: string, givenHex: string): boolean {
  const a = Buffer.from(expectedHex, 'utf8');
  const b = Buffer.from(givenHex.toLowerCase(), 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

function requireSalt(salt: string, what: string): void {
  if (typeof salt !== 'string' || salt === '')
    throw new MppError('invalid-config', `HitPay ${what} salt is not configured`);
}

/** Fields of a verified v1 webhook (payment requests send all of these; `phone` may be empty). */
export interface HitPayWebhookV1 {
  readonly payment_id?: string;
  readonly payment_request_id?: string;
  readonly phone?: string;
  readonly amount?: string;
  /** Uppercase in v1 (`SGD`). */
  readonly currency?: string;
  /** `completed` or `failed`. */
  readonly status?: string;
  readonly reference_number?: string;
  readonly hmac: string;
  readonly [field: string]: string | undefined;
}

/**
 * Verifies a v1 (form-encoded) webhook and returns its fields. Duplicate field names are refused,
 * as they would make the signed text ambiguous.
 *
 * @example
 * const hook = verifyWebhookV1(rawBody, process.env.HITPAY_API_SALT!); // throws MppError('unauthorized')
 * if (hook.status === 'completed') markPaid(hook.payment_request_id!);
 */
export function verifyWebhookV1(rawBody: Uint8Array | string, apiSalt: string): HitPayWebhookV1 {
  requireSalt(apiSalt, 'API');
  const params = new URLSearchParams(decoder.decode(bytes(rawBody)));
  const fields: Record<string, string> = Object.create(null);
  for (const [k, v] of params) {
    if (k in fields)
      throw new MppError('unauthorized', `HitPay webhook has a repeated field "${k.slice(0, 40)}"`);
    fields[k] = v;
  }
  const given = fields.hmac;
  if (given === undefined) throw new MppError('unauthorized', 'HitPay webhook has no hmac field');
  const base = Object.keys(fields)
    .filter((k) => k !== 'hmac')
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => k + fields[k])
    .join('');
  const expected = createHmac('sha256', apiSalt).update(base, 'utf8').digest('hex');
  if (!constantTimeEqual(expected, given))
    throw new MppError('unauthorized', 'HitPay webhook hmac does not match');
  return { ...fields } as HitPayWebhookV1;
}

/**
 * Verifies a v2 (JSON) webhook over its exact raw bytes and returns the body text, still unparsed.
 * A `sha256=` prefix is tolerated (HitPay sends none).
 *
 * @example
 * const text = verifyWebhookV2(rawBody, req.headers['hitpay-signature'], endpointSalt);
 * const event = parseWebhookV2(text, { eventObject: req.headers['hitpay-event-object'], eventType: req.headers['hitpay-event-type'] });
 */
export function verifyWebhookV2(
  rawBody: Uint8Array | string,
  signatureHeader: string | readonly string[] | null | undefined,
  endpointSalt: string,
): string {
  requireSalt(endpointSalt, 'webhook endpoint');
  const header = Array.isArray(signatureHeader)
    ? signatureHeader.length === 1
      ? signatureHeader[0]
      : undefined
    : signatureHeader;
  if (typeof header !== 'string' || header.trim() === '') {
    throw new MppError('unauthorized', 'HitPay webhook has no single Hitpay-Signature header');
  }
  const given = header.trim().replace(/^sha256=/i, '');
  const body = bytes(rawBody);
  const expected = createHmac('sha256', endpointSalt).update(body).digest('hex');
  if (!constantTimeEqual(expected, given))
    throw new MppError('unauthorized', 'HitPay webhook signature does not match');
  return decoder.decode(body);
}

/** A parsed v2 event. Unknown or unexpected events keep their body in `raw`. */
export type HitPayEvent =
  | {
      type: 'payment_request.completed' | 'payment_request.failed';
      paymentRequest: HitPayPaymentRequest;
      raw: unknown;
    }
  | { type: 'charge.created' | 'charge.updated'; charge: HitPayCharge; raw: unknown }
  | {
      type:
        | 'recurring_billing.method_attached'
        | 'recurring_billing.method_detached'
        | 'recurring_billing.subscription_updated';
      affectedMethodId: string | null;
      recurringBilling: HitPayRecurringBilling;
      raw: unknown;
    }
  | { type: 'unknown'; eventName: string | null; raw: unknown };

const header = (v: string | readonly string[] | null | undefined) =>
  (Array.isArray(v) ? v[0] : v) ?? undefined;

/**
 * Parses a body returned by {@link verifyWebhookV2}. The event name comes from the
 * `Hitpay-Event-Object`/`-Type` headers when given, else from the envelope's `event` field.
 * Accepts flat and `{event, payment_request}`-wrapped payment-request bodies.
 * Throws `MppError('bad-request')` when the body does not fit the event.
 */
export function parseWebhookV2(
  verifiedBody: string,
  headers: {
    eventObject?: string | readonly string[] | null;
    eventType?: string | readonly string[] | null;
  } = {},
): HitPayEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(verifiedBody);
  } catch {
    throw new MppError('bad-request', 'HitPay webhook body is not JSON');
  }
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const object = header(headers.eventObject);
  const type = header(headers.eventType);
  // The headers are not signed; the body is. A body that names its event (the envelope's `event`)
  // is believed over the headers, and headers naming another event are refused: otherwise a captured
  // `method_attached` body replayed as `method_detached` would end an active saved method.
  const signed = typeof body.event === 'string' ? body.event : null;
  const unsigned = object && type ? `${object}.${type}` : null;
  if (signed !== null && unsigned !== null && signed !== unsigned)
    throw new MppError('bad-request', 'HitPay webhook headers name another event than its signed body');
  const name = signed ?? unsigned;
  const fit = <T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    value: unknown,
  ): T => {
    const r = schema.safeParse(value);
    if (!r.success)
      throw new MppError('bad-request', `HitPay ${name} webhook body does not have the expected shape`);
    return r.data;
  };
  switch (name) {
    case 'payment_request.completed':
    case 'payment_request.failed': {
      const inner =
        typeof body.payment_request === 'object' && body.payment_request !== null
          ? body.payment_request
          : body;
      return { type: name, paymentRequest: fit(paymentRequestSchema, inner), raw };
    }
    case 'charge.created':
    case 'charge.updated':
      return { type: name, charge: fit(chargeSchema, body), raw };
    case 'recurring_billing.method_attached':
    case 'recurring_billing.method_detached':
    case 'recurring_billing.subscription_updated': {
      const inner =
        typeof body.recurring_billing === 'object' && body.recurring_billing !== null
          ? body.recurring_billing
          : body;
      const affected = typeof body.affected_method_id === 'string' ? body.affected_method_id : null;
      return {
        type: name,
        affectedMethodId: affected,
        recurringBilling: fit(recurringBillingSchema, inner),
        raw,
      };
    }
    default:
      return { type: 'unknown', eventName: name, raw };
  }
}

/**
 * Whether a payment request is paid: `completed`, or any payment `succeeded` (HitPay's sandbox
 * can leave the top-level status `pending` after the payment succeeded).
 */
export function paymentRequestPaid(pr: Pick<HitPayPaymentRequest, 'status' | 'payments'>): boolean {
  return pr.status === 'completed' || pr.payments.some((p) => p.status === 'succeeded');
}

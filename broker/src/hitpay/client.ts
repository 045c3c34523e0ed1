/**
 * The HitPay API client the broker uses. Retries only where repeating is harmless: reads retry on
 * 5xx/429/timeouts/network errors; creates that carry your reference retry only after looking the
 * reference up (HitPay has no idempotency key); charges and refunds are never retried: an unknown
 * outcome is a {@link HitPayError} with `outcomeUnknown` for the caller to reconcile.
 */
import { MppConfigError } from '@hit-pay/mpp/protocol';
import type { z } from 'zod';
import { HitPayError } from './errors.js';
import {
  type ChargeSavedMethodParams,
  type CreatePaymentRequestParams,
  type CreateRecurringBillingParams,
  type CreateRefundParams,
  type CreateWebhookEndpointParams,
  chargeBody,
  type ListPaymentRequestsParams,
  paymentRequestBody,
  recurringBillingBody,
  refundBody,
} from './requests.js';
import {
  type HitPayPage,
  type HitPayPaymentRequest,
  type HitPayRecurringBilling,
  type HitPayRefund,
  type HitPaySavedMethodCharge,
  type HitPayWebhookEndpoint,
  pageSchema,
  paymentRequestSchema,
  recurringBillingSchema,
  refundSchema,
  savedMethodChargeSchema,
  successSchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
} from './schemas.js';
import { type CallSpec, HitPayTransport } from './transport.js';

/** HitPay's sandbox API host. */
export const HITPAY_SANDBOX_URL = 'https://api.sandbox.hit-pay.com';
/** HitPay's production API host. */
export const HITPAY_PRODUCTION_URL = 'https://api.hit-pay.com';

/** Options of {@link createHitPayClient}. */
export interface HitPayClientOptions {
  /** The business API key (`test_…` on the sandbox). Sent only in `X-BUSINESS-API-KEY`. */
  apiKey: string;
  /** API host: {@link HITPAY_SANDBOX_URL} (default), {@link HITPAY_PRODUCTION_URL}, or a local sandbox URL. */
  baseUrl?: string;
  /** Timeout of each HTTP attempt. Default 15 000 ms. */
  timeoutMs?: number;
  /** Extra attempts for reads and reference-checked creates. Default 2. */
  retries?: number;
  /** First backoff delay; doubles per retry (with jitter, capped at 10 s). Default 250 ms. */
  retryBaseDelayMs?: number;
  /** A fetch implementation. Default the global `fetch`. */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (and any retry wait); the abort reason is thrown as is. */
  signal?: AbortSignal;
}

/** The client; every method throws {@link HitPayError} on failure. */
export interface HitPayClient {
  /** `POST /v1/payment-requests` (sends `send_sms`/`send_email` false unless set). */
  createPaymentRequest(
    params: CreatePaymentRequestParams,
    options?: CallOptions,
  ): Promise<HitPayPaymentRequest>;
  /** `GET /v1/payment-requests/{id}` */
  getPaymentRequest(id: string, options?: CallOptions): Promise<HitPayPaymentRequest>;
  /** `GET /v1/payment-requests?per_page&current_page&search` */
  listPaymentRequests(
    params?: ListPaymentRequestsParams,
    options?: CallOptions,
  ): Promise<HitPayPage<HitPayPaymentRequest>>;
  /** `PUT /v1/payment-requests/{id}` (same body as create). */
  updatePaymentRequest(
    id: string,
    params: CreatePaymentRequestParams,
    options?: CallOptions,
  ): Promise<HitPayPaymentRequest>;
  /** `DELETE /v1/payment-requests/{id}` */
  deletePaymentRequest(id: string, options?: CallOptions): Promise<void>;
  /** The newest payment request whose `reference_number` is exactly `reference`, or null. */
  findPaymentRequestByReference(
    reference: string,
    options?: CallOptions,
  ): Promise<HitPayPaymentRequest | null>;
  /** `POST /v1/recurring-billing` with `save_payment_method=true`. */
  createRecurringBilling(
    params: CreateRecurringBillingParams,
    options?: CallOptions,
  ): Promise<HitPayRecurringBilling>;
  /** `GET /v1/recurring-billing/{id}` */
  getRecurringBilling(id: string, options?: CallOptions): Promise<HitPayRecurringBilling>;
  /** The newest recurring billing whose `reference` is exactly `reference`, or null. */
  findRecurringBillingByReference(
    reference: string,
    options?: CallOptions,
  ): Promise<HitPayRecurringBilling | null>;
  /** `DELETE /v1/recurring-billing/{id}`: cancels it (status `canceled`). */
  deleteRecurringBilling(id: string, options?: CallOptions): Promise<HitPayRecurringBilling>;
  /**
   * `POST /v1/charge/recurring-billing/{id}`. Never retried. A 2xx whose `status` is not
   * `succeeded` is returned as is (a decline); a 4xx is a HitPayError; a 5xx, timeout or bad
   * answer is a HitPayError with `outcomeUnknown` (compare `total_charge` to reconcile).
   */
  chargeSavedMethod(
    recurringBillingId: string,
    params: ChargeSavedMethodParams,
    options?: CallOptions,
  ): Promise<HitPaySavedMethodCharge>;
  /** `POST /v1/refund`. Never retried; unknown outcomes are flagged like charges. */
  createRefund(params: CreateRefundParams, options?: CallOptions): Promise<HitPayRefund>;
  /** `GET /v1/refund/{id}` */
  getRefund(id: string, options?: CallOptions): Promise<HitPayRefund>;
  /** `POST /v1/webhook-events`. The endpoint's salt is shown only in HitPay's dashboard. */
  createWebhookEndpoint(
    params: CreateWebhookEndpointParams,
    options?: CallOptions,
  ): Promise<HitPayWebhookEndpoint>;
  /** `GET /v1/webhook-events` */
  listWebhookEndpoints(options?: CallOptions): Promise<HitPayWebhookEndpoint[]>;
  /** `DELETE /v1/webhook-events/{id}` */
  deleteWebhookEndpoint(id: string, options?: CallOptions): Promise<void>;
}

const PKG = '@hit-pay/mpp-broker';
const LOOKUP_PAGES = 3;

function resolveBaseUrl(raw: string | undefined): string {
  const text = (raw ?? HITPAY_SANDBOX_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MppConfigError(PKG, 'hitpay.baseUrl', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new MppConfigError(PKG, 'hitpay.baseUrl', 'must be an absolute http(s) URL');
  }
  return text;
}

const count = (name: string, v: number | undefined, def: number, min: number, max: number) => {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new MppConfigError(PKG, `hitpay.${name}`, `must be an integer ${min}-${max}`);
  }
  return n;
};

const id = (value: string) => encodeURIComponent(value);
const newestFirst = <T extends { created_at?: string | null }>(a: T, b: T) =>
  (b.created_at ?? '').localeCompare(a.created_at ?? '');

/**
 * Creates a HitPay API client. Throws MppConfigError for a missing key or a bad option.
 *
 * @example
 * const hitpay = createHitPayClient({ apiKey: process.env.HITPAY_API_KEY!, baseUrl: HITPAY_SANDBOX_URL });
 * const pr = await hitpay.createPaymentRequest({ amount: '5.00', currency: 'SGD', reference_number: challengeId, expires_after_minutes: 30 });
 */
export function createHitPayClient(options: HitPayClientOptions): HitPayClient {
  if (typeof options?.apiKey !== 'string' || options.apiKey.trim() === '') {
    throw new MppConfigError(PKG, 'hitpay.apiKey', 'is required');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function')
    throw new MppConfigError(PKG, 'hitpay.fetch', 'must be a fetch function');
  const transport = new HitPayTransport({
    apiKey: options.apiKey.trim(),
    baseUrl: resolveBaseUrl(options.baseUrl),
    timeoutMs: count('timeoutMs', options.timeoutMs, 15_000, 1, 600_000),
    retries: count('retries', options.retries, 2, 0, 10),
    retryBaseDelayMs: count('retryBaseDelayMs', options.retryBaseDelayMs, 250, 0, 60_000),
    fetch: fetchImpl,
  });
  const read = <T>(spec: Omit<CallSpec<T>, 'method' | 'idempotent'>) =>
    transport.call({ ...spec, method: 'GET', idempotent: true });
  const write = <T>(method: 'POST' | 'PUT' | 'DELETE', spec: Omit<CallSpec<T>, 'method' | 'idempotent'>) =>
    transport.call({ ...spec, method, idempotent: false });

  /**
   * POSTs once; on a transient failure, and only when `lookup` can find what a lost attempt may
   * have created, waits, looks, and either returns the found object or POSTs again.
   */
  async function createOnce<T>(
    post: () => Promise<T>,
    lookup: (() => Promise<T | null>) | undefined,
    signal?: AbortSignal,
  ): Promise<T> {
    let last: HitPayError;
    try {
      return await post();
    } catch (error) {
      if (!(error instanceof HitPayError) || !error.retryable || !lookup) throw error;
      last = error;
    }
    for (let i = 0; i < transport.options.retries; i++) {
      await transport.backoff(i, last, signal);
      const found = await lookup().catch(() => undefined);
      if (found === undefined) throw last;
      if (found !== null) return found;
      try {
        return await post();
      } catch (error) {
        if (!(error instanceof HitPayError) || !error.retryable) throw error;
        last = error;
      }
    }
    const found = await lookup().catch(() => null);
    if (found) return found;
    throw last;
  }

  const client: HitPayClient = {
    async createPaymentRequest(params, opts = {}) {
      const body = paymentRequestBody(params);
      const ref = params.reference_number;
      return createOnce(
        () =>
          write('POST', {
            operation: 'createPaymentRequest',
            path: '/v1/payment-requests',
            body,
            schema: paymentRequestSchema,
            signal: opts.signal,
          }),
        ref ? () => client.findPaymentRequestByReference(ref, opts) : undefined,
        opts.signal,
      );
    },
    getPaymentRequest: async (prId, opts = {}) =>
      read({
        operation: 'getPaymentRequest',
        path: `/v1/payment-requests/${id(prId)}`,
        schema: paymentRequestSchema,
        signal: opts.signal,
      }),
    listPaymentRequests: async (params = {}, opts = {}) =>
      read({
        operation: 'listPaymentRequests',
        path: '/v1/payment-requests',
        query: { per_page: params.per_page, current_page: params.current_page, search: params.search },
        schema: pageSchema(paymentRequestSchema) as z.ZodType<HitPayPage<HitPayPaymentRequest>>,
        signal: opts.signal,
      }),
    updatePaymentRequest: async (prId, params, opts = {}) =>
      write('PUT', {
        operation: 'updatePaymentRequest',
        path: `/v1/payment-requests/${id(prId)}`,
        body: paymentRequestBody(params),
        schema: paymentRequestSchema,
        signal: opts.signal,
      }),
    async deletePaymentRequest(prId, opts = {}) {
      await write('DELETE', {
        operation: 'deletePaymentRequest',
        path: `/v1/payment-requests/${id(prId)}`,
        schema: successSchema,
        signal: opts.signal,
      });
    },
    async findPaymentRequestByReference(reference, opts = {}) {
      // HitPay's `search` matches more than reference_number; keep exact matches only.
      const matches: HitPayPaymentRequest[] = [];
      for (let page = 1; page <= LOOKUP_PAGES; page++) {
        const result = await client.listPaymentRequests(
          { search: reference, per_page: 100, current_page: page },
          opts,
        );
        matches.push(...result.data.filter((pr) => pr.reference_number === reference));
        if (!result.meta || page >= result.meta.last_page) break;
      }
      return matches.sort(newestFirst)[0] ?? null;
    },
    async createRecurringBilling(params, opts = {}) {
      const body = recurringBillingBody(params);
      const ref = params.reference;
      return createOnce(
        () =>
          write('POST', {
            operation: 'createRecurringBilling',
            path: '/v1/recurring-billing',
            body,
            schema: recurringBillingSchema,
            signal: opts.signal,
          }),
        ref ? () => client.findRecurringBillingByReference(ref, opts) : undefined,
        opts.signal,
      );
    },
    getRecurringBilling: async (rbId, opts = {}) =>
      read({
        operation: 'getRecurringBilling',
        path: `/v1/recurring-billing/${id(rbId)}`,
        schema: recurringBillingSchema,
        signal: opts.signal,
      }),
    async findRecurringBillingByReference(reference, opts = {}) {
      const page = await read({
        operation: 'findRecurringBillingByReference',
        path: '/v1/recurring-billing',
        query: { reference, per_page: 100 },
        schema: pageSchema(recurringBillingSchema) as z.ZodType<HitPayPage<HitPayRecurringBilling>>,
        signal: opts.signal,
      });
      return page.data.filter((rb) => rb.reference === reference).sort(newestFirst)[0] ?? null;
    },
    deleteRecurringBilling: async (rbId, opts = {}) =>
      write('DELETE', {
        operation: 'deleteRecurringBilling',
        path: `/v1/recurring-billing/${id(rbId)}`,
        schema: recurringBillingSchema,
        signal: opts.signal,
      }),
    chargeSavedMethod: async (rbId, params, opts = {}) =>
      write('POST', {
        operation: 'chargeSavedMethod',
        path: `/v1/charge/recurring-billing/${id(rbId)}`,
        body: chargeBody(params),
        schema: savedMethodChargeSchema,
        signal: opts.signal,
      }),
    createRefund: async (params, opts = {}) =>
      write('POST', {
        operation: 'createRefund',
        path: '/v1/refund',
        body: refundBody(params),
        schema: refundSchema,
        signal: opts.signal,
      }),
    getRefund: async (refundId, opts = {}) =>
      read({
        operation: 'getRefund',
        path: `/v1/refund/${id(refundId)}`,
        schema: refundSchema,
        signal: opts.signal,
      }),
    createWebhookEndpoint: async (params, opts = {}) =>
      write('POST', {
        operation: 'createWebhookEndpoint',
        path: '/v1/webhook-events',
        body: { name: params.name, url: params.url, event_types: params.event_types },
        schema: webhookEndpointSchema,
        signal: opts.signal,
      }),
    listWebhookEndpoints: async (opts = {}) =>
      read({
        operation: 'listWebhookEndpoints',
        path: '/v1/webhook-events',
        schema: webhookEndpointListSchema,
        signal: opts.signal,
      }),
    async deleteWebhookEndpoint(endpointId, opts = {}) {
      await write('DELETE', {
        operation: 'deleteWebhookEndpoint',
        path: `/v1/webhook-events/${id(endpointId)}`,
        schema: successSchema,
        signal: opts.signal,
      });
    },
  };
  return client;
}

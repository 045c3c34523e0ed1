/**
 * HitPay's real API, as the broker uses it: a typed client with safe retries, webhook verifiers
 * for both signature schemes, and the error type. Point `baseUrl` at the local sandbox
 * (`@hit-pay/mpp-sandbox`), HitPay's sandbox or production; nothing else changes.
 *
 * @module
 */
export {
  type CallOptions,
  createHitPayClient,
  HITPAY_PRODUCTION_URL,
  HITPAY_SANDBOX_URL,
  type HitPayClient,
  type HitPayClientOptions,
} from './client.js';
export { HitPayError, type HitPayErrorDetails, type HitPayFailureKind } from './errors.js';
export type {
  ChargeSavedMethodParams,
  CreatePaymentRequestParams,
  CreateRecurringBillingParams,
  CreateRefundParams,
  CreateWebhookEndpointParams,
  ListPaymentRequestsParams,
} from './requests.js';
export {
  type HitPayCharge,
  type HitPayPage,
  type HitPayPayment,
  type HitPayPaymentRequest,
  type HitPayRecurringBilling,
  type HitPayRefund,
  type HitPaySavedMethodCharge,
  type HitPayWebhookEndpoint,
  normalizeAmount,
} from './schemas.js';
export {
  type HitPayEvent,
  type HitPayWebhookV1,
  parseWebhookV2,
  paymentRequestPaid,
  verifyWebhookV1,
  verifyWebhookV2,
} from './webhooks.js';

/**
 * `@hit-pay/mpp-sandbox`: an offline HitPay API for tests, demos and local development. Payment
 * requests, hosted checkout, PayNow QR payloads, v1 and v2 signed webhooks, saved payment methods,
 * refunds and fault injection, over real HTTP. It imports nothing from the other packages.
 *
 * @module
 */

export type { SandboxStats } from './context.js';
export { type HitPayErrorBody, SandboxConfigError } from './errors.js';
export {
  type FaultRule,
  type FaultRuleInput,
  type FaultSpec,
  formatFaultSpec,
  type InsufficientFundsMode,
  parseFaultSpec,
  type WebhookFaultMode,
} from './faults.js';
export { FAULT_HEADER } from './http/pipeline.js';
export {
  deriveSalt,
  type SandboxBusiness,
  type SandboxOptions,
  type SandboxWebhookEndpoint,
} from './options.js';
export {
  crc16CcittFalse,
  type EmvField,
  emvCrcValid,
  type PayNowQrInput,
  parseEmv,
  payNowPayload,
} from './paynow-qr.js';
export {
  type Sandbox,
  type SandboxBusinessInfo,
  type SandboxWebhookEndpointInfo,
  startSandbox,
} from './server.js';
export type { PaymentRequestStatus, RecurringBillingStatus, SandboxState } from './state.js';
export {
  type ListenerResponder,
  type ReceivedWebhook,
  startWebhookListener,
  type WebhookListener,
} from './webhook-listener.js';
export type { DeliveryAttempt, DeliveryState, WebhookDelivery } from './webhooks/dispatcher.js';
export { EMITTED_EVENTS } from './webhooks/events.js';
export { signV1, signV2, v1SignatureBase } from './webhooks/signing.js';

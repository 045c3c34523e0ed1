/**
 * The route table: HitPay's API (`/v1/...`, API key required), the hosted pages (public, at
 * HitPay's paths), and the sandbox-only `/_sandbox/...` endpoints.
 */
import type { Handler } from './context.js';
import { Router } from './http/router.js';
import { showApproval, submitApproval } from './pages/approval-page.js';
import { showCheckout, submitCheckout } from './pages/checkout-page.js';
import {
  createPaymentRequest,
  deletePaymentRequest,
  getPaymentRequest,
  listPaymentRequests,
  updatePaymentRequest,
} from './resources/payment-requests.js';
import {
  createRecurringBilling,
  deleteRecurringBilling,
  getRecurringBilling,
  listRecurringBillings,
} from './resources/recurring-billing.js';
import { createRefund, getRefund } from './resources/refunds.js';
import { chargeSavedMethod } from './resources/saved-method-charges.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  updateWebhookEndpoint,
} from './resources/webhook-events.js';
import { registerSandboxRoutes } from './sandbox-routes.js';

/** Builds the router with every route the sandbox serves. */
export function buildRouter(): Router<Handler> {
  const r = new Router<Handler>();
  r.add('POST', '/v1/payment-requests', 'api-key', createPaymentRequest)
    .add('GET', '/v1/payment-requests', 'api-key', listPaymentRequests)
    .add('GET', '/v1/payment-requests/{id}', 'api-key', getPaymentRequest)
    .add('PUT', '/v1/payment-requests/{id}', 'api-key', updatePaymentRequest)
    .add('DELETE', '/v1/payment-requests/{id}', 'api-key', deletePaymentRequest)
    .add('POST', '/v1/recurring-billing', 'api-key', createRecurringBilling)
    .add('GET', '/v1/recurring-billing', 'api-key', listRecurringBillings)
    .add('GET', '/v1/recurring-billing/{id}', 'api-key', getRecurringBilling)
    .add('DELETE', '/v1/recurring-billing/{id}', 'api-key', deleteRecurringBilling)
    .add('POST', '/v1/charge/recurring-billing/{id}', 'api-key', chargeSavedMethod)
    .add('POST', '/v1/refund', 'api-key', createRefund)
    .add('GET', '/v1/refund/{id}', 'api-key', getRefund)
    .add('POST', '/v1/webhook-events', 'api-key', createWebhookEndpoint)
    .add('GET', '/v1/webhook-events', 'api-key', listWebhookEndpoints)
    .add('GET', '/v1/webhook-events/{id}', 'api-key', getWebhookEndpoint)
    .add('PUT', '/v1/webhook-events/{id}', 'api-key', updateWebhookEndpoint)
    .add('DELETE', '/v1/webhook-events/{id}', 'api-key', deleteWebhookEndpoint)
    .add('GET', '/payment-request/@{slug}/{id}/checkout', 'none', showCheckout)
    .add('POST', '/payment-request/@{slug}/{id}/checkout', 'none', submitCheckout)
    .add('GET', '/{businessId}/recurring-plan/{id}', 'none', showApproval)
    .add('POST', '/{businessId}/recurring-plan/{id}', 'none', submitApproval);
  registerSandboxRoutes(r);
  return r;
}

/**
 * Turns an event into deliveries: a v1 form post to a per-request `webhook` URL (signed with the
 * API-key salt), and a v2 JSON post to every registered endpoint subscribed to the event (each
 * signed with that endpoint's own salt). Bodies are serialised once, so the bytes signed are the
 * bytes sent.
 */
import type { SandboxContext } from '../context.js';
import { encodeForm } from '../http/body.js';
import type { BusinessRecord } from '../state.js';
import type { OutgoingWebhook } from './dispatcher.js';
import { signV1, signV2 } from './signing.js';

/** v2 event names the sandbox emits (HitPay has more; these are the ones it can produce). */
export const EMITTED_EVENTS = [
  'payment_request.completed',
  'payment_request.failed',
  'charge.created',
  'charge.updated',
  'recurring_billing.method_attached',
  'recurring_billing.method_detached',
] as const;

/** Every event type HitPay documents; registration accepts these. */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set([
  ...EMITTED_EVENTS,
  'recurring_billing.subscription_updated',
  'payout.created',
  'order.created',
  'order.updated',
  'invoice.created',
  'invoice.updated',
  'transfer.created',
  'transfer.updated',
  'transfer.processing',
  'transfer.scheduled',
  'transfer.paid',
  'transfer.failed',
  'transfer.canceled',
]);

/** A v1 form webhook: `fields` plus their `hmac`. */
export function v1Webhook(
  business: BusinessRecord,
  url: string,
  event: string,
  fields: Record<string, string>,
): OutgoingWebhook {
  const body = encodeForm({ ...fields, hmac: signV1(fields, business.salt) });
  return {
    version: 'v1',
    event,
    url,
    endpointId: null,
    businessId: business.id,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  };
}

/** v2 JSON webhooks for `event` to every endpoint of the business subscribed to it. */
export function v2Webhooks(
  ctx: SandboxContext,
  business: BusinessRecord,
  event: string,
  payload: unknown,
): OutgoingWebhook[] {
  const endpoints = Object.values(ctx.state.webhookEndpoints).filter(
    (e) => e.businessId === business.id && e.eventTypes.includes(event),
  );
  if (endpoints.length === 0) return [];
  const body = JSON.stringify(payload);
  const dot = event.indexOf('.');
  return endpoints.map((e) => ({
    version: 'v2' as const,
    event,
    url: e.url,
    endpointId: e.id,
    businessId: business.id,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'HitPay v2.0',
      'Hitpay-Signature': signV2(body, e.salt),
      'Hitpay-Event-Object': event.slice(0, dot),
      'Hitpay-Event-Type': event.slice(dot + 1),
    },
    body,
  }));
}

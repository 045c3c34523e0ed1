/**
 * Sandbox-only endpoints under `/_sandbox`: things real HitPay does in its dashboard (showing the
 * API salt and endpoint salts), test shortcuts (pay, approve, move the clock), and inspection
 * (webhook log, stats, fault rules). None of them exist at HitPay.
 */
import type { Handler } from './context.js';
import { refused } from './errors.js';
import { type FaultRule, formatFaultSpec } from './faults.js';
import { json } from './http/reply.js';
import type { Router } from './http/router.js';
import { payPaymentRequestForTest } from './resources/payment-outcomes.js';
import { approveRecurringBillingForTest } from './resources/recurring-billing.js';
import { findWebhookEndpoint, renderWebhookEndpoint } from './resources/webhook-events.js';
import type { WebhookEndpointRecord } from './state.js';
import { sgTimestamp } from './time.js';
import { Validator } from './validation.js';
import type { WebhookDelivery } from './webhooks/dispatcher.js';

const withSalt = (e: WebhookEndpointRecord) => ({ ...renderWebhookEndpoint(e), salt: e.salt });

/** A delivery as `GET /_sandbox/webhooks` shows it. */
export function renderDelivery(d: WebhookDelivery): Record<string, unknown> {
  return {
    id: d.id,
    version: d.version,
    event: d.event,
    url: d.url,
    endpoint_id: d.endpointId,
    business_id: d.businessId,
    state: d.state,
    duplicate_of: d.duplicateOf,
    created_at: sgTimestamp(d.createdAt),
    attempts: d.attempts.map((a) => ({
      at: sgTimestamp(a.at),
      status: a.status,
      error: a.error,
      duration_ms: a.durationMs,
    })),
    headers: d.headers,
    body: d.body,
  };
}

const renderRule = (r: FaultRule) => ({
  id: r.id,
  method: r.method,
  path: r.path,
  fault: formatFaultSpec(r.fault),
  remaining: r.remaining,
});

const business: Handler = (ctx, req) => {
  const b = req.business!;
  return json(200, {
    id: b.id,
    name: b.name,
    slug: b.slug,
    api_key: b.apiKey,
    salt: b.salt,
    webhook_endpoints: Object.values(ctx.state.webhookEndpoints)
      .filter((e) => e.businessId === b.id)
      .map(withSalt),
  });
};

const endpointWithSalt: Handler = (ctx, req) =>
  json(200, withSalt(findWebhookEndpoint(ctx, req.business!, req.params.id!)));

const webhookLog: Handler = (ctx, req) => {
  const v = new Validator(req.query);
  const event = v.string('event', { max: 100 });
  const state = v.string('state', { max: 16 });
  const version = v.string('version', { max: 4 });
  const url = v.string('url', { max: 2048 });
  v.done();
  const list = ctx.webhooks
    .list()
    .filter(
      (d) =>
        (event === undefined || d.event === event) &&
        (state === undefined || d.state === state) &&
        (version === undefined || d.version === version) &&
        (url === undefined || d.url === url),
    );
  return json(200, { data: list.map(renderDelivery) });
};

const redeliver: Handler = (ctx, req) => {
  const d = ctx.webhooks.redeliver(req.params.id!);
  if (!d) throw refused(404, `No webhook delivery ${req.params.id}.`);
  return json(200, renderDelivery(d));
};

const addFault: Handler = (ctx, req) => {
  const v = new Validator(req.body);
  const method = v.string('method', { max: 10 });
  const path = v.string('path', { max: 500 });
  const fault = v.string('fault', { required: true, max: 500 });
  const count = v.integer('count', { min: 0, max: 1_000_000 });
  v.done();
  const rule = ctx.faults.add({ method, path, fault: fault!, count });
  return json(201, renderRule(rule));
};

const stats: Handler = (ctx) => json(200, ctx.stats);

const clock: Handler = (ctx, req) => {
  if (req.method === 'POST') {
    const v = new Validator(req.body);
    const ms = v.integer('advance_ms', { min: 0, max: 1_000_000_000 });
    const s = v.integer('advance_seconds', { min: 0, max: 1_000_000 });
    v.done();
    ctx.advanceTime((ms ?? 0) + (s ?? 0) * 1000);
  }
  const now = ctx.now();
  return json(200, { now: sgTimestamp(now), epoch_ms: now });
};

/** Registers every `/_sandbox` route. */
export function registerSandboxRoutes(router: Router<Handler>): void {
  router
    .add('GET', '/_sandbox/health', 'none', () => json(200, { ok: true }))
    .add('GET', '/_sandbox/business', 'api-key', business)
    .add('GET', '/_sandbox/webhook-events/{id}', 'api-key', endpointWithSalt)
    .add('POST', '/_sandbox/payment-requests/{id}/pay', 'none', payPaymentRequestForTest)
    .add('POST', '/_sandbox/recurring-billing/{id}/approve', 'none', approveRecurringBillingForTest)
    .add('GET', '/_sandbox/webhooks', 'none', webhookLog)
    .add('POST', '/_sandbox/webhooks/{id}/redeliver', 'none', redeliver)
    .add('GET', '/_sandbox/faults', 'none', (ctx) => json(200, { data: ctx.faults.list().map(renderRule) }))
    .add('POST', '/_sandbox/faults', 'none', addFault)
    .add('DELETE', '/_sandbox/faults', 'none', (ctx) => {
      ctx.faults.clear();
      return json(200, { success: true });
    })
    .add('DELETE', '/_sandbox/faults/{id}', 'none', (ctx, req) => {
      if (!ctx.faults.remove(req.params.id!)) throw refused(404, `No fault rule ${req.params.id}.`);
      return json(200, { success: true });
    })
    .add('GET', '/_sandbox/stats', 'none', stats)
    .add('GET', '/_sandbox/clock', 'none', clock)
    .add('POST', '/_sandbox/clock', 'none', clock)
    .add('POST', '/_sandbox/reset', 'none', (ctx) => {
      ctx.reset();
      return json(200, { success: true });
    });
}

/** Paths whose requests global fault rules never touch (so a rule cannot lock out its own removal). */
export function exemptFromFaultRules(path: string): boolean {
  return (
    path.startsWith('/_sandbox/') &&
    !path.startsWith('/_sandbox/payment-requests/') &&
    !path.startsWith('/_sandbox/recurring-billing/')
  );
}

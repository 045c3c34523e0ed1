/**
 * v2 webhook endpoints: `POST/GET/PUT/DELETE /v1/webhook-events[/{id}]`. Each endpoint gets its own
 * salt, distinct from the API-key salt; real HitPay shows it only in the dashboard, so the
 * sandbox exposes it through `GET /_sandbox/webhook-events/{id}` and `GET /_sandbox/business`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Handler, SandboxContext } from '../context.js';
import { modelNotFound } from '../errors.js';
import { json } from '../http/reply.js';
import type { BusinessRecord, WebhookEndpointRecord } from '../state.js';
import { sgTimestamp } from '../time.js';
import { type Input, Validator } from '../validation.js';
import { KNOWN_EVENT_TYPES } from '../webhooks/events.js';

/** The public object (no salt, like HitPay's API). */
export function renderWebhookEndpoint(e: WebhookEndpointRecord): Record<string, unknown> {
  return {
    id: e.id,
    business_id: e.businessId,
    name: e.name,
    url: e.url,
    event_types: e.eventTypes,
    created_at: sgTimestamp(e.createdAt),
    updated_at: sgTimestamp(e.updatedAt),
  };
}

/** An endpoint of this business, or HitPay's 404. */
export function findWebhookEndpoint(
  ctx: SandboxContext,
  business: BusinessRecord,
  id: string,
): WebhookEndpointRecord {
  const e = ctx.state.webhookEndpoints[id];
  if (!e || e.businessId !== business.id) throw modelNotFound('WebhookEvent', id);
  return e;
}

function readEndpoint(ctx: SandboxContext, body: Input, partial: boolean) {
  const v = new Validator(body);
  const name = v.string('name', { required: !partial, max: 255 });
  const url = v.url('url', { required: !partial });
  if (url && ctx.options.requireHttpsWebhooks && !url.startsWith('https:')) {
    v.fail('url', 'The url must start with https://.');
  }
  const raw = body.event_types;
  let eventTypes: string[] | undefined;
  if (raw === undefined || raw === null || raw === '') {
    if (!partial) v.fail('event_types', 'The event types field is required.');
  } else if (!Array.isArray(raw) || raw.length === 0) {
    v.fail('event_types', 'The event types must be an array.');
  } else {
    raw.forEach((t, i) => {
      if (typeof t !== 'string' || !KNOWN_EVENT_TYPES.has(t))
        v.fail(`event_types.${i}`, `The selected event_types.${i} is invalid.`);
    });
    eventTypes = [...new Set(raw as string[])];
  }
  v.done();
  return { name, url, eventTypes };
}

/** Registers an endpoint directly (used by `startSandbox({ webhookEndpoints })` and tests). */
export function addWebhookEndpoint(
  ctx: SandboxContext,
  business: BusinessRecord,
  input: { name: string; url: string; eventTypes: string[]; salt?: string },
): WebhookEndpointRecord {
  const now = ctx.now();
  const e: WebhookEndpointRecord = {
    id: randomUUID(),
    businessId: business.id,
    name: input.name,
    url: input.url,
    eventTypes: input.eventTypes,
    salt: input.salt ?? randomBytes(24).toString('hex'),
    createdAt: now,
    updatedAt: now,
  };
  ctx.state.webhookEndpoints[e.id] = e;
  ctx.stats.created.webhookEndpoints++;
  ctx.changed();
  return e;
}

/** `POST /v1/webhook-events` → 201 */
export const createWebhookEndpoint: Handler = (ctx, req) => {
  const f = readEndpoint(ctx, req.body, false);
  const e = addWebhookEndpoint(ctx, req.business!, { name: f.name!, url: f.url!, eventTypes: f.eventTypes! });
  return json(201, renderWebhookEndpoint(e));
};

/** `GET /v1/webhook-events` (a plain array; HitPay does not document the list shape). */
export const listWebhookEndpoints: Handler = (ctx, req) =>
  json(
    200,
    Object.values(ctx.state.webhookEndpoints)
      .filter((e) => e.businessId === req.business!.id)
      .map(renderWebhookEndpoint),
  );

/** `GET /v1/webhook-events/{id}` */
export const getWebhookEndpoint: Handler = (ctx, req) =>
  json(200, renderWebhookEndpoint(findWebhookEndpoint(ctx, req.business!, req.params.id!)));

/** `PUT /v1/webhook-events/{id}`: any of name, url, event_types. */
export const updateWebhookEndpoint: Handler = (ctx, req) => {
  const e = findWebhookEndpoint(ctx, req.business!, req.params.id!);
  const f = readEndpoint(ctx, req.body, true);
  if (f.name !== undefined) e.name = f.name;
  if (f.url !== undefined) e.url = f.url;
  if (f.eventTypes !== undefined) e.eventTypes = f.eventTypes;
  e.updatedAt = ctx.now();
  ctx.changed();
  return json(200, renderWebhookEndpoint(e));
};

/** `DELETE /v1/webhook-events/{id}` → `{success:true}` */
export const deleteWebhookEndpoint: Handler = (ctx, req) => {
  const e = findWebhookEndpoint(ctx, req.business!, req.params.id!);
  delete ctx.state.webhookEndpoints[e.id];
  ctx.changed();
  return json(200, { success: true });
};

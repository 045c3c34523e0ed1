import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../server.js';

const KEY = 'test_webhook_events';
let sb: Sandbox;

async function api(method: string, path: string, body?: unknown, key = KEY) {
  const res = await fetch(sb.url + path, {
    method,
    headers: { 'X-BUSINESS-API-KEY': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

describe('/v1/webhook-events', () => {
  it('registers, lists, reads, updates and deletes endpoints', async () => {
    const created = await api('POST', '/v1/webhook-events', {
      name: 'broker',
      url: 'https://broker.example/v1/webhook/hitpay',
      event_types: ['payment_request.completed', 'charge.created'],
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual([
      'business_id',
      'created_at',
      'event_types',
      'id',
      'name',
      'updated_at',
      'url',
    ]);
    expect(created.body.business_id).toBe(sb.business(KEY).id);
    const id = created.body.id;

    expect((await api('GET', '/v1/webhook-events')).body).toEqual([created.body]);
    expect((await api('GET', `/v1/webhook-events/${id}`)).body).toEqual(created.body);
    const updated = await api('PUT', `/v1/webhook-events/${id}`, { event_types: ['charge.updated'] });
    expect(updated.body.event_types).toEqual(['charge.updated']);
    expect(await api('DELETE', `/v1/webhook-events/${id}`)).toEqual({ status: 200, body: { success: true } });
    expect((await api('GET', `/v1/webhook-events/${id}`)).status).toBe(404);
    expect(sb.stats.created.webhookEndpoints).toBe(1);
  });

  it('gives each endpoint its own salt, distinct from the API salt, via /_sandbox', async () => {
    const a = (
      await api('POST', '/v1/webhook-events', {
        name: 'a',
        url: 'https://a.example/h',
        event_types: ['charge.created'],
      })
    ).body;
    const b = (
      await api('POST', '/v1/webhook-events', {
        name: 'b',
        url: 'https://b.example/h',
        event_types: ['charge.created'],
      })
    ).body;
    const saltOf = async (id: string) =>
      (
        (await (
          await fetch(`${sb.url}/_sandbox/webhook-events/${id}`, { headers: { 'X-BUSINESS-API-KEY': KEY } })
        ).json()) as any
      ).salt;
    const [sa, sbSalt] = [await saltOf(a.id), await saltOf(b.id)];
    expect(sa).toMatch(/^[0-9a-f]{48}$/);
    expect(sa).not.toBe(sbSalt);
    expect(sa).not.toBe(sb.business(KEY).salt);
    const business = (await (
      await fetch(`${sb.url}/_sandbox/business`, { headers: { 'X-BUSINESS-API-KEY': KEY } })
    ).json()) as any;
    expect(business.webhook_endpoints.map((e: any) => e.salt)).toEqual([sa, sbSalt]);
  });

  it('keeps endpoints per business', async () => {
    const { body } = await api('POST', '/v1/webhook-events', {
      name: 'a',
      url: 'https://a.example/h',
      event_types: ['charge.created'],
    });
    expect((await api('GET', `/v1/webhook-events/${body.id}`, undefined, 'test_intruder')).body.message).toBe(
      `No query results for model [App\\Business\\WebhookEvent] ${body.id}`,
    );
    expect((await api('GET', '/v1/webhook-events', undefined, 'test_intruder')).body).toEqual([]);
  });

  it.each([
    [{ url: 'https://a.example', event_types: ['charge.created'] }, 'name'],
    [{ name: 'n', url: 'ftp://a.example', event_types: ['charge.created'] }, 'url'],
    [{ name: 'n', url: 'https://a.example' }, 'event_types'],
    [{ name: 'n', url: 'https://a.example', event_types: 'charge.created' }, 'event_types'],
    [
      { name: 'n', url: 'https://a.example', event_types: ['charge.created', 'charge.exploded'] },
      'event_types.1',
    ],
  ])('422s on %j (field %s)', async (body, field) => {
    const res = await api('POST', '/v1/webhook-events', body);
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors)).toEqual([field]);
  });

  it('can require https like real HitPay', async () => {
    const strict = await startSandbox({ requireHttpsWebhooks: true });
    try {
      const res = await fetch(`${strict.url}/v1/webhook-events`, {
        method: 'POST',
        headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'n', url: 'http://a.example/h', event_types: ['charge.created'] }),
      });
      expect(res.status).toBe(422);
    } finally {
      await strict.close();
    }
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../server.js';
import { startWebhookListener, type WebhookListener } from '../webhook-listener.js';
import { signV1, signV2 } from './signing.js';

const KEY = 'test_delivery';
let sb: Sandbox;
let hooks: WebhookListener;
let v2Salt: string;

async function createPr(extra: Record<string, unknown> = {}) {
  const res = await fetch(`${sb.url}/v1/payment-requests`, {
    method: 'POST',
    headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      amount: '25.00',
      currency: 'SGD',
      reference_number: 'ord-9',
      webhook: `${hooks.url}/v1`,
      ...extra,
    }),
  });
  return (await res.json()) as any;
}

async function payWithFault(id: string, fault?: string) {
  const res = await fetch(`${sb.url}/_sandbox/payment-requests/${id}/pay`, {
    method: 'POST',
    headers: fault ? { 'X-Sandbox-Fault': fault } : {},
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sb = await startSandbox({ webhookRetryDelaysMs: [20, 40], webhookTimeoutMs: 500 });
  hooks = await startWebhookListener();
});
afterAll(async () => {
  await sb.close();
  await hooks.close();
});
beforeEach(() => {
  sb.reset();
  hooks.received.length = 0;
  hooks.respondWith(200);
  v2Salt = sb.registerWebhookEndpoint(KEY, { url: `${hooks.url}/v2` }).salt;
});

describe('payment webhooks', () => {
  it('sends v1 (form, API salt), payment_request.completed and charge.created (JSON, endpoint salt)', async () => {
    const pr = await createPr();
    await payWithFault(pr.id);
    const [v1, completed, charge] = await hooks.waitFor(3);
    expect(v1!.path).toBe('/v1');
    expect(v1!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const fields = Object.fromEntries(new URLSearchParams(v1!.text));
    const paymentId = sb.state.paymentRequests[pr.id]!.paymentIds[0];
    expect(fields).toMatchObject({
      payment_id: paymentId,
      payment_request_id: pr.id,
      phone: '',
      amount: '25.00',
      currency: 'SGD',
      status: 'completed',
      reference_number: 'ord-9',
    });
    const { hmac, ...rest } = fields;
    expect(hmac).toBe(signV1(rest, sb.business(KEY).salt));

    expect(completed!.headers['hitpay-event-object']).toBe('payment_request');
    expect(completed!.headers['hitpay-event-type']).toBe('completed');
    expect(completed!.headers['hitpay-signature']).toBe(signV2(completed!.rawBody, v2Salt));
    expect(JSON.parse(completed!.text)).toMatchObject({
      id: pr.id,
      status: 'completed',
      reference_number: 'ord-9',
      payments: [{ id: paymentId }],
    });
    expect(charge!.headers['hitpay-event-object']).toBe('charge');
    expect(JSON.parse(charge!.text)).toMatchObject({
      id: paymentId,
      status: 'succeeded',
      amount: 25,
      payment_request_id: pr.id,
    });
    await sb.webhooksIdle();
    expect(sb.stats.webhooks).toMatchObject({ delivered: 3, failed: 0 });
  });

  it('sends status=failed and payment_request.failed on a failed payment, with no charge.created', async () => {
    const pr = await createPr();
    sb.pay(pr.id, { status: 'failed' });
    await sb.webhooksIdle();
    expect(
      hooks.received.map((h) => h.headers['hitpay-event-type'] ?? new URLSearchParams(h.text).get('status')),
    ).toEqual(['failed', 'failed']);
  });

  it('can wrap payment_request events in an envelope', async () => {
    const wrapped = await startSandbox({ paymentRequestEventShape: 'wrapped' });
    try {
      wrapped.registerWebhookEndpoint(KEY, {
        url: `${hooks.url}/w`,
        eventTypes: ['payment_request.completed'],
      });
      const res = await fetch(`${wrapped.url}/v1/payment-requests`, {
        method: 'POST',
        headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
        body: JSON.stringify({ amount: 1, currency: 'SGD' }),
      });
      wrapped.pay(((await res.json()) as any).id);
      const [hook] = await hooks.waitFor(1);
      expect(JSON.parse(hook!.text)).toMatchObject({
        event: 'payment_request.completed',
        payment_request: { status: 'completed' },
      });
    } finally {
      await wrapped.close();
    }
  });
});

describe('retries', () => {
  it('retries on non-2xx until delivered', async () => {
    hooks.respondWith((_hook, i) => (i < 2 ? 500 : 200));
    sb.reset();
    sb.registerWebhookEndpoint(KEY, { url: `${hooks.url}/only`, eventTypes: ['charge.created'] });
    const pr = await createPr({ webhook: undefined });
    await payWithFault(pr.id);
    await sb.webhooksIdle();
    const [delivery] = sb.webhookDeliveries();
    expect(delivery!.state).toBe('delivered');
    expect(delivery!.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(hooks.received.map((h) => h.text).every((t) => t === hooks.received[0]!.text)).toBe(true);
  });

  it('gives up after the schedule and logs network errors', async () => {
    const gone = await startWebhookListener();
    const url = gone.url;
    await gone.close();
    const pr = await createPr({ webhook: `${url}/v1` });
    sb.pay(pr.id);
    hooks.respondWith(503);
    await sb.webhooksIdle();
    const v1 = sb.webhookDeliveries().find((d) => d.version === 'v1')!;
    expect(v1.state).toBe('failed');
    expect(v1.attempts).toHaveLength(3);
    expect(v1.attempts.every((a) => a.status === null && a.error)).toBe(true);
    const v2 = sb.webhookDeliveries().filter((d) => d.version === 'v2');
    expect(v2.every((d) => d.state === 'failed' && d.attempts.length === 3)).toBe(true);
    expect(sb.stats.webhooks.failed).toBe(3);

    hooks.respondWith(200);
    const again = await fetch(`${sb.url}/_sandbox/webhooks/${v2[0]!.id}/redeliver`, { method: 'POST' });
    expect(again.status).toBe(200);
    await sb.webhooksIdle();
    expect(sb.webhookDeliveries().find((d) => d.id === v2[0]!.id)!.state).toBe('delivered');
  });
});

describe('webhook faults', () => {
  it('drops webhooks (optionally only v1 or v2)', async () => {
    const pr = await createPr();
    await payWithFault(pr.id, 'webhook=drop, webhook-only=v2');
    await sb.webhooksIdle();
    expect(hooks.received.map((h) => h.path)).toEqual(['/v1']);
    expect(sb.webhookDeliveries().filter((d) => d.state === 'dropped')).toHaveLength(2);
    expect(sb.stats.webhooks.dropped).toBe(2);
  });

  it('duplicates webhooks byte for byte', async () => {
    const pr = await createPr({ webhook: undefined });
    await payWithFault(pr.id, 'webhook=duplicate, webhook-only=payment_request.completed');
    await sb.webhooksIdle();
    const completed = hooks.received.filter((h) => h.headers['hitpay-event-type'] === 'completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]!.text).toBe(completed[1]!.text);
    expect(completed[0]!.headers['hitpay-signature']).toBe(completed[1]!.headers['hitpay-signature']);
    expect(sb.webhookDeliveries().filter((d) => d.duplicateOf !== null)).toHaveLength(1);
  });

  it('reorders the batch', async () => {
    const pr = await createPr();
    await payWithFault(pr.id, 'webhook=reorder');
    await sb.webhooksIdle();
    expect(hooks.received.map((h) => h.headers['hitpay-event-object'] ?? 'v1')).toEqual([
      'charge',
      'payment_request',
      'v1',
    ]);
  });

  it('delays webhooks so a later event overtakes them', async () => {
    const a = await createPr({ webhook: undefined, reference_number: 'first' });
    const b = await createPr({ webhook: undefined, reference_number: 'second' });
    await payWithFault(a.id, 'webhook-delay=150');
    await payWithFault(b.id);
    await sb.webhooksIdle();
    const refs = hooks.received
      .filter((h) => h.headers['hitpay-event-object'] === 'payment_request')
      .map((h) => JSON.parse(h.text).reference_number);
    expect(refs).toEqual(['second', 'first']);
  });

  it('applies global webhook rules to the checkout pay route', async () => {
    const rule = await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'POST', path: '/payment-request/*', fault: 'webhook=drop', count: 1 }),
    });
    expect(rule.status).toBe(201);
    const pr = await createPr();
    const res = await fetch(pr.url, {
      method: 'POST',
      body: new URLSearchParams({ status: 'completed' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(200);
    await sb.webhooksIdle();
    expect(hooks.received).toHaveLength(0);
    const log = (await (await fetch(`${sb.url}/_sandbox/webhooks?state=dropped`)).json()) as any;
    expect(log.data).toHaveLength(3);
    expect(log.data[0]).toMatchObject({ state: 'dropped', attempts: [] });
  });
});

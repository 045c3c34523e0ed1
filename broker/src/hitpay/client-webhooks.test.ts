import {
  type ReceivedWebhook,
  type Sandbox,
  startSandbox,
  startWebhookListener,
  type WebhookListener,
} from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHitPayClient, type HitPayClient } from './client.js';
import {
  type HitPayEvent,
  parseWebhookV2,
  paymentRequestPaid,
  verifyWebhookV1,
  verifyWebhookV2,
} from './webhooks.js';

/**
 * Webhooks from the sandbox, received by a local listener and checked with the verifiers, under
 * every webhook fault: retried, duplicated, dropped, reordered and delayed deliveries.
 */
const KEY = 'test_broker_webhooks';
let sb: Sandbox;
let hooks: WebhookListener;
let hitpay: HitPayClient;
let apiSalt: string;
let endpointSalt: string;

const v2 = (list: ReceivedWebhook[]) => list.filter((h) => h.path === '/v2');

function event(h: ReceivedWebhook): HitPayEvent {
  const text = verifyWebhookV2(h.rawBody, h.headers['hitpay-signature'], endpointSalt);
  return parseWebhookV2(text, {
    eventObject: h.headers['hitpay-event-object'],
    eventType: h.headers['hitpay-event-type'],
  });
}

async function pay(id: string, fault?: string) {
  const res = await fetch(`${sb.url}/_sandbox/payment-requests/${id}/pay`, {
    method: 'POST',
    headers: fault ? { 'X-Sandbox-Fault': fault } : {},
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  sb = await startSandbox({ webhookRetryDelaysMs: [10, 20, 40] });
  hooks = await startWebhookListener();
  hitpay = createHitPayClient({ apiKey: KEY, baseUrl: sb.url, retryBaseDelayMs: 5 });
  apiSalt = sb.business(KEY).salt;
});
afterAll(async () => {
  await sb.close();
  await hooks.close();
});
beforeEach(async () => {
  sb.reset();
  hooks.received.length = 0;
  hooks.respondWith(200);
  // The endpoint salt comes from the sandbox-only route, as it would from HitPay's dashboard.
  const endpoint = await hitpay.createWebhookEndpoint({
    name: 'broker',
    url: `${hooks.url}/v2`,
    event_types: [
      'payment_request.completed',
      'payment_request.failed',
      'charge.created',
      'charge.updated',
      'recurring_billing.method_attached',
      'recurring_billing.method_detached',
    ],
  });
  const res = await fetch(`${sb.url}/_sandbox/webhook-events/${endpoint.id}`, {
    headers: { 'X-BUSINESS-API-KEY': KEY },
  });
  endpointSalt = ((await res.json()) as { salt: string }).salt;
});

describe('verified delivery', () => {
  it('verifies v1 with the API salt and v2 with the endpoint salt, and not the other way round', async () => {
    const pr = await hitpay.createPaymentRequest({
      amount: '7.70',
      currency: 'SGD',
      reference_number: 'mpp_ch_w1',
      webhook: `${hooks.url}/v1`,
    });
    await pay(pr.id);
    await sb.webhooksIdle();
    const v1 = hooks.received.find((h) => h.path === '/v1')!;
    const fields = verifyWebhookV1(v1.rawBody, apiSalt);
    expect(fields).toMatchObject({
      payment_request_id: pr.id,
      status: 'completed',
      amount: '7.70',
      currency: 'SGD',
      reference_number: 'mpp_ch_w1',
    });
    expect(() => verifyWebhookV1(v1.rawBody, endpointSalt)).toThrow(/hmac/);

    const [completed, charge] = v2(hooks.received);
    const e1 = event(completed!);
    expect(e1.type).toBe('payment_request.completed');
    if (e1.type === 'payment_request.completed') {
      expect(e1.paymentRequest.reference_number).toBe('mpp_ch_w1');
      expect(paymentRequestPaid(e1.paymentRequest)).toBe(true);
      expect(e1.paymentRequest.payments[0]?.id).toBe(fields.payment_id);
    }
    expect(event(charge!)).toMatchObject({
      type: 'charge.created',
      charge: { id: fields.payment_id, amount: '7.70' },
    });
    expect(() =>
      verifyWebhookV2(completed!.rawBody, completed!.headers['hitpay-signature'], apiSalt),
    ).toThrow(/signature/);
  });

  it('retries a failing receiver and the retried copy still verifies', async () => {
    hooks.respondWith((_h, i) => (i < 2 ? 500 : 200));
    const pr = await hitpay.createPaymentRequest({ amount: '1', currency: 'SGD' });
    sb.pay(pr.id, { fault: 'webhook-only=payment_request.completed, webhook=drop' });
    await sb.webhooksIdle();
    // Only charge.created was sent: twice refused, then accepted, byte-identical each time.
    expect(hooks.received.map((h) => h.status)).toEqual([500, 500, 200]);
    for (const h of hooks.received) expect(event(h).type).toBe('charge.created');
  });

  it('signs method_attached and method_detached envelopes', async () => {
    const rb = await hitpay.createRecurringBilling({
      customer_email: 'a@b.co',
      name: 'Agent',
      payment_methods: ['touch_n_go'],
      reference: 'agent-1',
      currency: 'MYR',
    });
    sb.approve(rb.id);
    await hitpay.deleteRecurringBilling(rb.id);
    await sb.webhooksIdle();
    const events = v2(hooks.received).map(event);
    expect(events.map((e) => e.type)).toEqual([
      'recurring_billing.method_attached',
      'recurring_billing.method_detached',
    ]);
    const [attached, detached] = events;
    if (
      attached?.type === 'recurring_billing.method_attached' &&
      detached?.type === 'recurring_billing.method_detached'
    ) {
      expect(attached.recurringBilling).toMatchObject({
        id: rb.id,
        status: 'active',
        payment_provider_charge_method: 'touch_n_go',
      });
      expect(attached.affectedMethodId).toBe(attached.recurringBilling.default_method?.id);
      expect(detached.recurringBilling.status).toBe('canceled');
    }
  });

  it('fires charge.updated after a refund', async () => {
    const pr = await hitpay.createPaymentRequest({ amount: '10', currency: 'SGD' });
    sb.pay(pr.id);
    const paid = await hitpay.getPaymentRequest(pr.id);
    await hitpay.createRefund({ payment_id: paid.payments[0]!.id, amount: '2.50' });
    await sb.webhooksIdle();
    const updated = v2(hooks.received)
      .map(event)
      .find((e) => e.type === 'charge.updated');
    expect(updated).toMatchObject({ charge: { status: 'partially_refunded', refunded_amount: '2.50' } });
  });
});

describe('webhook faults', () => {
  it('duplicated: both copies verify and carry the same ids, so dedupe by id works', async () => {
    const pr = await hitpay.createPaymentRequest({
      amount: '1',
      currency: 'SGD',
      webhook: `${hooks.url}/v1`,
    });
    await pay(pr.id, 'webhook=duplicate');
    await sb.webhooksIdle();
    expect(hooks.received).toHaveLength(6);
    const v1 = hooks.received
      .filter((h) => h.path === '/v1')
      .map((h) => verifyWebhookV1(h.rawBody, apiSalt).payment_id);
    expect(new Set(v1).size).toBe(1);
    const ids = v2(hooks.received).map(
      (h) =>
        `${h.headers['hitpay-event-object']}:${JSON.parse(verifyWebhookV2(h.rawBody, h.headers['hitpay-signature'], endpointSalt)).id}`,
    );
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
  });

  it('dropped: nothing arrives, polling the client still shows the payment', async () => {
    const pr = await hitpay.createPaymentRequest({
      amount: '1',
      currency: 'SGD',
      webhook: `${hooks.url}/v1`,
    });
    await pay(pr.id, 'webhook=drop');
    await sb.webhooksIdle();
    expect(hooks.received).toHaveLength(0);
    expect(paymentRequestPaid(await hitpay.getPaymentRequest(pr.id))).toBe(true);
  });

  it('reordered: charge.created arrives before payment_request.completed', async () => {
    const pr = await hitpay.createPaymentRequest({ amount: '1', currency: 'SGD' });
    await pay(pr.id, 'webhook=reorder');
    await sb.webhooksIdle();
    expect(v2(hooks.received).map((h) => event(h).type)).toEqual([
      'charge.created',
      'payment_request.completed',
    ]);
  });

  it('delayed: a later payment overtakes an earlier one', async () => {
    const a = await hitpay.createPaymentRequest({ amount: '1', currency: 'SGD', reference_number: 'early' });
    const b = await hitpay.createPaymentRequest({ amount: '2', currency: 'SGD', reference_number: 'late' });
    await pay(a.id, 'webhook-delay=150, webhook-only=v2');
    await pay(b.id);
    await sb.webhooksIdle();
    const order = v2(hooks.received)
      .map(event)
      .flatMap((e) => (e.type === 'payment_request.completed' ? [e.paymentRequest.reference_number] : []));
    expect(order).toEqual(['late', 'early']);
  });

  it('a tampered delivery is refused', async () => {
    const pr = await hitpay.createPaymentRequest({
      amount: '1',
      currency: 'SGD',
      webhook: `${hooks.url}/v1`,
    });
    await pay(pr.id);
    await sb.webhooksIdle();
    const v1 = hooks.received.find((h) => h.path === '/v1')!;
    expect(() => verifyWebhookV1(v1.text.replace('amount=1.00', 'amount=100.00'), apiSalt)).toThrow(/hmac/);
    const h = v2(hooks.received)[0]!;
    expect(() =>
      verifyWebhookV2(h.text.replace('"1.00"', '"100.00"'), h.headers['hitpay-signature'], endpointSalt),
    ).toThrow(/signature/);
  });
});

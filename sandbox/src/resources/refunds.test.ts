import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../server.js';
import { startWebhookListener, type WebhookListener } from '../webhook-listener.js';

const KEY = 'test_refunds';
let sb: Sandbox;
let hooks: WebhookListener;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(sb.url + path, {
    method,
    headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function paidPayment(amount = '10.00') {
  const { body: pr } = await api('POST', '/v1/payment-requests', {
    amount,
    currency: 'SGD',
    reference_number: 'r-1',
  });
  const paid = sb.pay(pr.id) as any;
  return { pr, paymentId: paid.payments[0].id as string };
}

beforeAll(async () => {
  sb = await startSandbox({ webhookRetryDelaysMs: [] });
  hooks = await startWebhookListener();
});
afterAll(async () => {
  await sb.close();
  await hooks.close();
});
beforeEach(() => {
  sb.reset();
  hooks.received.length = 0;
});

describe('POST /v1/refund', () => {
  it('refunds partially, then fully, updating the payment and firing charge.updated', async () => {
    sb.registerWebhookEndpoint(KEY, { url: `${hooks.url}/v2`, eventTypes: ['charge.updated'] });
    const { pr, paymentId } = await paidPayment('10.00');
    const first = await api('POST', '/v1/refund', { payment_id: paymentId, amount: 4 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      payment_id: paymentId,
      amount_refunded: 4,
      total_amount: 10,
      currency: 'sgd',
      status: 'succeeded',
      payment_method: 'paynow_online',
      provider_fee: null,
    });
    expect(first.body.refunded_at).toMatch(/\.000000Z$/);
    let payment = (await api('GET', `/v1/payment-requests/${pr.id}`)).body.payments[0];
    expect(payment).toMatchObject({ status: 'partially_refunded', refunded_amount: '4.00' });

    const over = await api('POST', '/v1/refund', { payment_id: paymentId, amount: '6.01' });
    expect(over.status).toBe(422);
    expect(over.body.errors.amount).toEqual(['The amount must be less than or equal to 6.00.']);

    expect((await api('POST', '/v1/refund', { payment_id: paymentId, amount: '6.00' })).status).toBe(200);
    payment = (await api('GET', `/v1/payment-requests/${pr.id}`)).body.payments[0];
    expect(payment).toMatchObject({ status: 'refunded', refunded_amount: '10.00' });
    expect((await api('POST', '/v1/refund', { payment_id: paymentId, amount: 1 })).status).toBe(400);

    const events = await hooks.waitFor(2);
    expect(events.map((e) => JSON.parse(e.text).status)).toEqual(['partially_refunded', 'refunded']);
    expect(events[1]!.headers['hitpay-event-type']).toBe('updated');
    expect(JSON.parse(events[1]!.text)).toMatchObject({ refunded_amount: 10, reference_number: 'r-1' });

    const got = await api('GET', `/v1/refund/${first.body.id}`);
    expect(got).toEqual({ status: 200, body: first.body });
    expect(sb.stats.created.refunds).toBe(2);
  });

  it('refunds a saved-method charge', async () => {
    const { body: rb } = await api('POST', '/v1/recurring-billing', {
      name: 'n',
      customer_email: 'a@b.co',
      save_payment_method: true,
    });
    sb.approve(rb.id);
    const { body: charge } = await api('POST', `/v1/charge/recurring-billing/${rb.id}`, {
      amount: 3,
      currency: 'SGD',
    });
    const refund = await api('POST', '/v1/refund', { payment_id: charge.payment_id, amount: 3 });
    expect(refund.body).toMatchObject({ amount_refunded: 3, total_amount: 3, payment_method: 'card' });
  });

  it('validates and 404s', async () => {
    expect((await api('POST', '/v1/refund', {})).body.errors).toEqual({
      payment_id: ['The payment id field is required.'],
      amount: ['The amount field is required.'],
    });
    const missing = await api('POST', '/v1/refund', { payment_id: 'nope', amount: 1 });
    expect(missing).toEqual({
      status: 404,
      body: { message: 'No query results for model [App\\Business\\Charge] nope' },
    });
    expect((await api('GET', '/v1/refund/nope')).body.message).toBe(
      'No query results for model [App\\Business\\Refund] nope',
    );
    const { paymentId } = await paidPayment();
    expect((await api('POST', '/v1/refund', { payment_id: paymentId, amount: 0 })).status).toBe(422);
  });

  it('cannot refund a failed payment', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', { amount: '5', currency: 'SGD' });
    const failed = sb.pay(pr.id, { status: 'failed' }) as any;
    expect((await api('POST', '/v1/refund', { payment_id: failed.payments[0].id, amount: 1 })).status).toBe(
      400,
    );
  });
});

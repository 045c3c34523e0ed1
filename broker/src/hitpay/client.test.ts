import { MppConfigError, MppError } from '@hit-pay/mpp/protocol';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHitPayClient, type HitPayClient } from './client.js';
import { HitPayError } from './errors.js';

/** The client against the sandbox over real HTTP, one endpoint at a time. */
const KEY = 'test_broker_client_secret_key';
let sb: Sandbox;
let hitpay: HitPayClient;

async function rejection(promise: Promise<unknown>): Promise<HitPayError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(HitPayError);
    return e as HitPayError;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  sb = await startSandbox({ webhookRetryDelaysMs: [] });
  hitpay = createHitPayClient({ apiKey: KEY, baseUrl: sb.url, timeoutMs: 2000, retryBaseDelayMs: 5 });
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

describe('options', () => {
  it('refuses a missing key and bad options at construction', () => {
    expect(() => createHitPayClient({ apiKey: '' })).toThrow(MppConfigError);
    expect(() => createHitPayClient({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => createHitPayClient({ apiKey: 'k', retries: -1 })).toThrow(/retries/);
    expect(() => createHitPayClient({ apiKey: 'k', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('accepts a base URL ending in /v1 or a slash', async () => {
    const c = createHitPayClient({ apiKey: KEY, baseUrl: `${sb.url}/v1/` });
    expect((await c.listPaymentRequests()).data).toEqual([]);
  });

  it('HitPayError is not confused with other MppErrors', () => {
    expect(new MppError('unauthorized')).not.toBeInstanceOf(HitPayError);
  });
});

describe('payment requests', () => {
  it('creates with JSON, sms/email off, "N mins" expiry, and normalised fields', async () => {
    const pr = await hitpay.createPaymentRequest({
      amount: 12.5,
      currency: 'sgd',
      reference_number: 'mpp_ch_1',
      purpose: 'API call',
      expires_after_minutes: 30,
      generate_qr: true,
      payment_methods: ['paynow_online'],
      metadata: { challenge: 'mpp_ch_1' },
    });
    expect(pr).toMatchObject({
      amount: '12.50',
      currency: 'sgd',
      status: 'pending',
      reference_number: 'mpp_ch_1',
      send_sms: false,
      send_email: false,
    });
    expect(pr.url).toContain(`/payment-request/@`);
    expect(pr.expiry_date).not.toBeNull();
    expect(pr.qr_code_data?.qr_code).toMatch(/SG\.PAYNOW/);
    expect(sb.stats.calls['POST /v1/payment-requests']).toBe(1);
  });

  it('gets, lists, updates, finds by reference and deletes', async () => {
    const a = await hitpay.createPaymentRequest({
      amount: '1.00',
      currency: 'SGD',
      reference_number: 'ref-a',
    });
    await hitpay.createPaymentRequest({ amount: '2.00', currency: 'SGD', reference_number: 'ref-ab' });
    expect((await hitpay.getPaymentRequest(a.id)).id).toBe(a.id);
    const page = await hitpay.listPaymentRequests({ per_page: 1, current_page: 2 });
    expect(page.data).toHaveLength(1);
    expect(page.meta).toMatchObject({ total: 2, last_page: 2, current_page: 2 });
    expect((await hitpay.findPaymentRequestByReference('ref-a'))?.id).toBe(a.id);
    expect(await hitpay.findPaymentRequestByReference('ref-zzz')).toBeNull();
    const updated = await hitpay.updatePaymentRequest(a.id, {
      amount: '3',
      currency: 'SGD',
      reference_number: 'ref-a',
    });
    expect(updated.amount).toBe('3.00');
    await hitpay.deletePaymentRequest(a.id);
    const gone = await rejection(hitpay.getPaymentRequest(a.id));
    expect(gone).toMatchObject({
      code: 'upstream-error',
      hitpayStatus: 404,
      kind: 'http',
      outcomeUnknown: false,
    });
    expect(gone.hitpayMessage).toBe(`No query results for model [App\\Business\\PaymentRequest] ${a.id}`);
  });

  it('shows payments[] once paid', async () => {
    const pr = await hitpay.createPaymentRequest({ amount: '4.20', currency: 'SGD' });
    sb.pay(pr.id);
    const paid = await hitpay.getPaymentRequest(pr.id);
    expect(paid.status).toBe('completed');
    expect(paid.payments[0]).toMatchObject({ status: 'succeeded', amount: '4.20', currency: 'sgd' });
  });

  it('keeps HitPay 422 field errors and never leaks the key', async () => {
    const e = await rejection(hitpay.createPaymentRequest({ amount: '0.10', currency: 'SGD' }));
    expect(e).toMatchObject({
      code: 'upstream-error',
      status: 502,
      hitpayStatus: 422,
      outcomeUnknown: false,
      retryable: false,
    });
    expect(e.hitpayErrors).toEqual({ amount: ['The amount must be between 0.3 and 999999999.99.'] });
    expect(e.message).toContain('The amount must be between 0.3 and 999999999.99.');
    expect(JSON.stringify({ m: e.message, p: e.toProblem(), s: e.stack })).not.toContain(KEY);
  });

  it('maps 401 for a bad key', async () => {
    const bad = createHitPayClient({ apiKey: 'live_wrong', baseUrl: sb.url });
    const e = await rejection(bad.listPaymentRequests());
    expect(e).toMatchObject({ hitpayStatus: 401, hitpayMessage: 'Unauthenticated.', code: 'upstream-error' });
    expect(e.message).not.toContain('live_wrong');
  });

  it('refuses bad amounts before calling HitPay', async () => {
    await expect(hitpay.createPaymentRequest({ amount: 0.1 + 0.2, currency: 'SGD' })).rejects.toMatchObject({
      code: 'bad-request',
    });
    await expect(hitpay.createPaymentRequest({ amount: '1.005', currency: 'SGD' })).rejects.toMatchObject({
      code: 'bad-request',
    });
    await expect(hitpay.createPaymentRequest({ amount: '1', currency: 'SGDX' })).rejects.toMatchObject({
      code: 'bad-request',
    });
    expect(sb.stats.requests).toBe(0);
  });
});

describe('saved methods, charges and refunds', () => {
  it('creates a save session, charges it, refunds, and cancels it', async () => {
    const rb = await hitpay.createRecurringBilling({
      customer_email: 'agent@example.com',
      name: 'Agent wallet',
      payment_methods: ['shopee_pay'],
      reference: 'cust-9',
      generate_direct_link: true,
    });
    expect(rb).toMatchObject({
      status: 'pending',
      reference: 'cust-9',
      total_charge: 0,
      payment_provider_charge_method: null,
    });
    expect(rb.direct_link?.direct_link_url).toContain(rb.id);
    expect((await hitpay.findRecurringBillingByReference('cust-9'))?.id).toBe(rb.id);

    const early = await rejection(hitpay.chargeSavedMethod(rb.id, { amount: '1.00', currency: 'SGD' }));
    expect(early).toMatchObject({ hitpayStatus: 400, outcomeUnknown: false });

    sb.approve(rb.id);
    expect((await hitpay.getRecurringBilling(rb.id)).payment_provider_charge_method).toBe('shopee_pay');
    const charge = await hitpay.chargeSavedMethod(rb.id, { amount: '2.50', currency: 'sgd' });
    expect(charge).toMatchObject({
      recurring_billing_id: rb.id,
      amount: '2.50',
      currency: 'sgd',
      status: 'succeeded',
    });
    expect((await hitpay.getRecurringBilling(rb.id)).total_charge).toBe(1);

    const refund = await hitpay.createRefund({ payment_id: charge.payment_id, amount: '1.00' });
    expect(refund).toMatchObject({
      payment_id: charge.payment_id,
      amount_refunded: '1.00',
      total_amount: '2.50',
      currency: 'sgd',
      status: 'succeeded',
    });
    expect(await hitpay.getRefund(refund.id)).toEqual(refund);
    const over = await rejection(hitpay.createRefund({ payment_id: charge.payment_id, amount: '5.00' }));
    expect(over.hitpayErrors?.amount).toEqual(['The amount must be less than or equal to 1.50.']);

    const canceled = await hitpay.deleteRecurringBilling(rb.id);
    expect(canceled.status).toBe('canceled');
  });

  it('404s unknown ids with the model message', async () => {
    const e = await rejection(hitpay.chargeSavedMethod('nope', { amount: 1, currency: 'SGD' }));
    expect(e.hitpayMessage).toBe('No query results for model [App\\Business\\RecurringBilling] nope');
    expect((await rejection(hitpay.getRefund('nope'))).hitpayStatus).toBe(404);
  });

  it('returns a 2xx decline as data and a 4xx decline as an error', async () => {
    const rb = await hitpay.createRecurringBilling({
      customer_email: 'a@b.co',
      name: 'n',
      payment_methods: ['grabpay_direct'],
    });
    sb.approve(rb.id);
    sb.addFault({ path: '/v1/charge/recurring-billing/*', fault: 'insufficient-funds=failed' });
    const declined = await hitpay.chargeSavedMethod(rb.id, { amount: 1, currency: 'SGD' });
    expect(declined).toMatchObject({ status: 'failed', failed_reason: 'insufficient_funds' });
    sb.addFault({ path: '/v1/charge/recurring-billing/*', fault: 'insufficient-funds=422' });
    const refused = await rejection(hitpay.chargeSavedMethod(rb.id, { amount: 1, currency: 'SGD' }));
    expect(refused).toMatchObject({
      hitpayStatus: 422,
      outcomeUnknown: false,
      hitpayMessage: 'Payment declined: insufficient funds.',
    });
    expect((await hitpay.getRecurringBilling(rb.id)).total_charge).toBe(0);
  });
});

describe('webhook endpoints', () => {
  it('creates, lists and deletes', async () => {
    const e = await hitpay.createWebhookEndpoint({
      name: 'broker',
      url: 'https://broker.example/hook',
      event_types: ['charge.created'],
    });
    expect(e).toMatchObject({ name: 'broker', event_types: ['charge.created'] });
    expect((await hitpay.listWebhookEndpoints()).map((x) => x.id)).toEqual([e.id]);
    await hitpay.deleteWebhookEndpoint(e.id);
    expect(await hitpay.listWebhookEndpoints()).toEqual([]);
  });
});

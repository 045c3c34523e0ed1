import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHitPayClient, type HitPayClient } from './client.js';
import { HitPayError } from './errors.js';
import { paymentRequestPaid } from './webhooks.js';

/** Every sandbox fault mode, seen through the client: what is retried, what is flagged unknown. */
const KEY = 'test_broker_faults';
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

const calls = (key: string) => sb.stats.calls[key] ?? 0;

async function savedMethod() {
  const rb = await hitpay.createRecurringBilling({
    customer_email: 'a@b.co',
    name: 'n',
    payment_methods: ['grabpay_direct'],
    reference: 'rb-ref',
  });
  sb.approve(rb.id);
  return rb;
}

beforeAll(async () => {
  sb = await startSandbox({ webhookRetryDelaysMs: [], hangMs: 10_000 });
  hitpay = createHitPayClient({
    apiKey: KEY,
    baseUrl: sb.url,
    timeoutMs: 400,
    retries: 2,
    retryBaseDelayMs: 5,
  });
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

describe('reads: retried with backoff', () => {
  it('retries 5xx and succeeds', async () => {
    const pr = await hitpay.createPaymentRequest({ amount: '1', currency: 'SGD' });
    sb.addFault({ method: 'GET', path: '/v1/payment-requests/*', fault: 'error=503', count: 2 });
    expect((await hitpay.getPaymentRequest(pr.id)).id).toBe(pr.id);
    expect(calls('GET /v1/payment-requests/{id}')).toBe(3);
  });

  it('gives up after the retries with service-unavailable', async () => {
    sb.addFault({ method: 'GET', path: '/v1/payment-requests', fault: 'error=502', count: null });
    const e = await rejection(hitpay.listPaymentRequests());
    expect(e).toMatchObject({
      code: 'service-unavailable',
      status: 503,
      hitpayStatus: 502,
      hitpayMessage: 'Bad Gateway',
      retryable: true,
      outcomeUnknown: false,
    });
    expect(calls('GET /v1/payment-requests')).toBe(3);
  });

  it('honours Retry-After on 429', async () => {
    sb.addFault({ method: 'GET', path: '/v1/refund/*', fault: 'error=429', count: 1 });
    const started = Date.now();
    expect((await rejection(hitpay.getRefund('x'))).hitpayStatus).toBe(404);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('tolerates latency under the timeout', async () => {
    sb.addFault({ path: '/v1/payment-requests', fault: 'latency=150', count: 1 });
    expect((await hitpay.listPaymentRequests()).data).toEqual([]);
  });

  it('times out a hung read, retries, and reports a timeout when it keeps hanging', async () => {
    sb.addFault({ method: 'GET', path: '/v1/webhook-events', fault: 'hang', count: 1 });
    expect(await hitpay.listWebhookEndpoints()).toEqual([]);
    sb.addFault({ method: 'GET', path: '/v1/webhook-events', fault: 'hang', count: 3 });
    const e = await rejection(hitpay.listWebhookEndpoints());
    expect(e).toMatchObject({
      kind: 'timeout',
      code: 'service-unavailable',
      retryable: true,
      outcomeUnknown: false,
    });
  });

  it('shows the status lag and paymentRequestPaid sees through it', async () => {
    const pr = await hitpay.createPaymentRequest({ amount: '1', currency: 'SGD' });
    sb.pay(pr.id, { fault: 'status-lag' });
    const got = await hitpay.getPaymentRequest(pr.id);
    expect(got.status).toBe('pending');
    expect(got.payments[0]?.status).toBe('succeeded');
    expect(paymentRequestPaid(got)).toBe(true);
  });
});

describe('creates: retried only after a reference lookup', () => {
  it('returns the request a lost answer created (error after the work) without creating a second', async () => {
    sb.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error-after=500', count: 1 });
    const pr = await hitpay.createPaymentRequest({
      amount: '5',
      currency: 'SGD',
      reference_number: 'mpp_ch_lost',
    });
    expect(pr.reference_number).toBe('mpp_ch_lost');
    expect(sb.stats.created.paymentRequests).toBe(1);
    expect(calls('POST /v1/payment-requests')).toBe(1);
    expect(calls('GET /v1/payment-requests')).toBe(1);
  });

  it('creates again when the lookup finds nothing (failed before the work)', async () => {
    sb.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error=503', count: 1 });
    const pr = await hitpay.createPaymentRequest({
      amount: '5',
      currency: 'SGD',
      reference_number: 'mpp_ch_retry',
    });
    expect(pr.status).toBe('pending');
    expect(sb.stats.created.paymentRequests).toBe(1);
    expect(calls('POST /v1/payment-requests')).toBe(2);
  });

  it('recovers from a timeout that hid a real create', async () => {
    sb.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'hang-after', count: 1 });
    const pr = await hitpay.createPaymentRequest({
      amount: '5',
      currency: 'SGD',
      reference_number: 'mpp_ch_hang',
    });
    expect(pr.reference_number).toBe('mpp_ch_hang');
    expect(sb.stats.created.paymentRequests).toBe(1);
  });

  it('does not retry without a reference and flags the outcome unknown', async () => {
    sb.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error-after=500', count: 1 });
    const e = await rejection(hitpay.createPaymentRequest({ amount: '5', currency: 'SGD' }));
    expect(e).toMatchObject({ outcomeUnknown: true, code: 'service-unavailable', hitpayStatus: 500 });
    expect(calls('POST /v1/payment-requests')).toBe(1);
    expect(sb.stats.created.paymentRequests).toBe(1);
  });

  it('never retries a 4xx', async () => {
    sb.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error=422', count: 1 });
    const e = await rejection(
      hitpay.createPaymentRequest({ amount: '5', currency: 'SGD', reference_number: 'x' }),
    );
    expect(e).toMatchObject({ hitpayStatus: 422, outcomeUnknown: false });
    expect(calls('POST /v1/payment-requests')).toBe(1);
  });

  it('stops after the retries when HitPay stays down', async () => {
    sb.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error=503', count: null });
    const e = await rejection(
      hitpay.createPaymentRequest({ amount: '5', currency: 'SGD', reference_number: 'down' }),
    );
    expect(e).toMatchObject({ hitpayStatus: 503, retryable: true });
    expect(calls('POST /v1/payment-requests')).toBe(3);
    expect(sb.stats.created.paymentRequests).toBe(0);
  });

  it('applies the same lookup to save sessions (by reference)', async () => {
    sb.addFault({ method: 'POST', path: '/v1/recurring-billing', fault: 'error-after=502', count: 1 });
    const rb = await hitpay.createRecurringBilling({
      customer_email: 'a@b.co',
      name: 'n',
      payment_methods: ['card'],
      reference: 'rb-lost',
    });
    expect(rb.reference).toBe('rb-lost');
    expect(sb.stats.created.recurringBillings).toBe(1);
  });
});

describe('charges and refunds: never retried', () => {
  it('flags a 5xx after the work as outcome unknown; reconciling shows the charge happened', async () => {
    const rb = await savedMethod();
    sb.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'error-after=502',
      count: 1,
    });
    const e = await rejection(hitpay.chargeSavedMethod(rb.id, { amount: '3.00', currency: 'SGD' }));
    expect(e).toMatchObject({
      outcomeUnknown: true,
      code: 'service-unavailable',
      operation: 'chargeSavedMethod',
    });
    expect(calls('POST /v1/charge/recurring-billing/{id}')).toBe(1);
    expect((await hitpay.getRecurringBilling(rb.id)).total_charge).toBe(1);
  });

  it('flags a timeout as outcome unknown', async () => {
    const rb = await savedMethod();
    sb.addFault({ method: 'POST', path: '/v1/charge/recurring-billing/*', fault: 'hang-after', count: 1 });
    const e = await rejection(hitpay.chargeSavedMethod(rb.id, { amount: '3.00', currency: 'SGD' }));
    expect(e).toMatchObject({ outcomeUnknown: true, kind: 'timeout' });
    expect(calls('POST /v1/charge/recurring-billing/{id}')).toBe(1);
  });

  it('flags a 5xx before the work as unknown too (the client cannot tell); reconciling shows no charge', async () => {
    const rb = await savedMethod();
    sb.addFault({ method: 'POST', path: '/v1/charge/recurring-billing/*', fault: 'error=500', count: 1 });
    expect(
      (await rejection(hitpay.chargeSavedMethod(rb.id, { amount: 1, currency: 'SGD' }))).outcomeUnknown,
    ).toBe(true);
    expect((await hitpay.getRecurringBilling(rb.id)).total_charge).toBe(0);
  });

  it('treats insufficient funds as a definite decline', async () => {
    const rb = await savedMethod();
    sb.addFault({ path: '/v1/charge/recurring-billing/*', fault: 'insufficient-funds=400', count: 1 });
    const e = await rejection(hitpay.chargeSavedMethod(rb.id, { amount: 1, currency: 'SGD' }));
    expect(e).toMatchObject({
      outcomeUnknown: false,
      retryable: false,
      hitpayStatus: 400,
      code: 'upstream-error',
    });
  });

  it('flags a refund lost in a 5xx as outcome unknown', async () => {
    const pr = await hitpay.createPaymentRequest({ amount: '8', currency: 'SGD' });
    const paymentId = (sb.pay(pr.id) as any).payments[0].id as string;
    sb.addFault({ method: 'POST', path: '/v1/refund', fault: 'error-after=503', count: 1 });
    expect((await rejection(hitpay.createRefund({ payment_id: paymentId, amount: 1 }))).outcomeUnknown).toBe(
      true,
    );
    expect(sb.stats.created.refunds).toBe(1);
  });
});

describe('transport failures', () => {
  it('reports a refused connection as not sent (safe to retry even for a charge)', async () => {
    const gone = await startSandbox();
    const url = gone.url;
    await gone.close();
    const c = createHitPayClient({ apiKey: KEY, baseUrl: url, retries: 0 });
    const e = await rejection(c.chargeSavedMethod('x', { amount: 1, currency: 'SGD' }));
    expect(e).toMatchObject({
      kind: 'network',
      outcomeUnknown: false,
      retryable: true,
      code: 'service-unavailable',
    });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('reports a 2xx that is not HitPay-shaped as invalid (unknown for a charge)', async () => {
    const fake: typeof fetch = async () => new Response('{"payment_id": 5}', { status: 200 });
    const c = createHitPayClient({ apiKey: KEY, baseUrl: 'https://api.sandbox.hit-pay.com', fetch: fake });
    const e = await rejection(c.chargeSavedMethod('x', { amount: 1, currency: 'SGD' }));
    expect(e).toMatchObject({ kind: 'invalid-response', outcomeUnknown: true, code: 'upstream-error' });
    const notJson: typeof fetch = async () => new Response('<html>', { status: 200 });
    const c2 = createHitPayClient({ apiKey: KEY, fetch: notJson, retries: 0 });
    expect((await rejection(c2.getRefund('x'))).message).toContain('not JSON');
  });

  it('sends the key only in the header, JSON bodies, and the send_* defaults', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const spy: typeof fetch = async (url, init) => {
      seen.push({ url: String(url), init: init! });
      return new Response(JSON.stringify({ id: 'p', status: 'pending', amount: '1.00', currency: 'sgd' }), {
        status: 200,
      });
    };
    const c = createHitPayClient({ apiKey: KEY, fetch: spy });
    await c.createPaymentRequest({ amount: '1', currency: 'sgd', expires_after_minutes: 60 });
    expect(seen[0]!.url).toBe('https://api.sandbox.hit-pay.com/v1/payment-requests');
    expect((seen[0]!.init.headers as Record<string, string>)['X-BUSINESS-API-KEY']).toBe(KEY);
    expect(JSON.parse(seen[0]!.init.body as string)).toEqual({
      amount: '1',
      currency: 'SGD',
      expires_after: '60 mins',
      send_sms: false,
      send_email: false,
    });
  });

  it('rethrows a caller abort as is', async () => {
    sb.addFault({ path: '/v1/payment-requests', fault: 'latency=300', count: 1 });
    const controller = new AbortController();
    const pending = hitpay.listPaymentRequests({}, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 20);
    await expect(pending).rejects.toThrow('caller gave up');
  });
});

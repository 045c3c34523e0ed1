import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../server.js';
import { startWebhookListener, type WebhookListener } from '../webhook-listener.js';
import { signV2 } from '../webhooks/signing.js';

const KEY = 'test_recurring';
let sb: Sandbox;
let hooks: WebhookListener;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(sb.url + path, {
    method,
    headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const session = (extra: Record<string, unknown> = {}) =>
  api('POST', '/v1/recurring-billing', {
    name: 'Agent wallet',
    customer_email: 'agent@example.com',
    save_payment_method: true,
    payment_methods: ['grabpay_direct'],
    reference: 'cust-1',
    currency: 'SGD',
    redirect_url: 'https://shop.example/done',
    ...extra,
  });

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

describe('POST /v1/recurring-billing (save sessions)', () => {
  it('returns the recurring-billing object with an approval url', async () => {
    const { status, body } = await session();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      customer_email: 'agent@example.com',
      reference: 'cust-1',
      cycle: 'save_card',
      currency: 'sgd',
      status: 'pending',
      payment_methods: ['grabpay_direct'],
      payment_provider_charge_method: null,
      total_charge: 0,
      times_charged: null,
      default_method: null,
    });
    expect(body.url).toBe(`${sb.url}/${sb.business(KEY).id}/recurring-plan/${body.id}`);
    expect(body.direct_link).toBeUndefined();
  });

  it('accepts form encoding and shopee_recurring', async () => {
    const res = await fetch(`${sb.url}/v1/recurring-billing`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=W&customer_email=a%40b.co&save_payment_method=true&payment_methods[]=shopee_recurring',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).payment_methods).toEqual(['shopee_recurring']);
  });

  it('adds direct_link with generate_direct_link and one wallet', async () => {
    const { body } = await session({
      generate_direct_link: true,
      payment_methods: ['touch_n_go'],
      currency: 'MYR',
    });
    expect(body.direct_link).toEqual({
      direct_link_url: `${body.url}?direct=1`,
      direct_link_app_url: null,
      expiry_time: null,
    });
    const bad = await session({ generate_direct_link: true, payment_methods: ['card'] });
    expect(bad.status).toBe(400);
  });

  it.each([
    [{ customer_email: undefined }, 'customer_email', 'The customer email field is required.'],
    [
      { times_to_be_charged: 3 },
      'times_to_be_charged',
      'You cant set times_to_be_charged for save_card is true',
    ],
    [{ payment_methods: ['paynow_online'] }, 'payment_methods', 'The selected payment methods is invalid.'],
    [{ name: '' }, 'name', 'The name field is required.'],
  ])('422s on %j', async (extra, field, message) => {
    const { status, body } = await session(extra);
    expect(status).toBe(422);
    expect(body.errors[field]).toEqual([message]);
  });
});

describe('approve, charge, detach', () => {
  it('runs the whole saved-method life cycle with signed v2 events', async () => {
    const endpoint = sb.registerWebhookEndpoint(KEY, { url: `${hooks.url}/v2` });
    const { body: rb } = await session();
    const before = await api('POST', `/v1/charge/recurring-billing/${rb.id}`, { amount: 5, currency: 'SGD' });
    expect(before.status).toBe(400);

    const approved = await fetch(`${sb.url}/_sandbox/recurring-billing/${rb.id}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    const attached = await hooks.waitFor(1);
    const attach = attached[0]!;
    expect(attach.headers['hitpay-event-object']).toBe('recurring_billing');
    expect(attach.headers['hitpay-event-type']).toBe('method_attached');
    expect(attach.headers['user-agent']).toBe('HitPay v2.0');
    expect(attach.headers['hitpay-signature']).toBe(signV2(attach.rawBody, endpoint.salt));
    const envelope = JSON.parse(attach.text);
    expect(envelope.event).toBe('recurring_billing.method_attached');
    expect(envelope.recurring_billing).toMatchObject({
      id: rb.id,
      status: 'active',
      payment_provider_charge_method: 'grabpay_direct',
    });
    expect(envelope.affected_method_id).toBe(envelope.recurring_billing.default_method.id);

    const charge = await api('POST', `/v1/charge/recurring-billing/${rb.id}`, {
      amount: '1.50',
      currency: 'SGD',
    });
    expect(charge.status).toBe(200);
    expect(charge.body).toEqual({
      payment_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      recurring_billing_id: rb.id,
      amount: 1.5,
      currency: 'sgd',
      status: 'succeeded',
    });
    const [, created] = await hooks.waitFor(2);
    expect(created!.headers['hitpay-event-object']).toBe('charge');
    expect(created!.headers['hitpay-event-type']).toBe('created');
    expect(JSON.parse(created!.text)).toMatchObject({
      id: charge.body.payment_id,
      channel: 'recurrent',
      amount: 1.5,
      recurring_billing_id: rb.id,
    });
    await api('POST', `/v1/charge/recurring-billing/${rb.id}`, { amount: 2, currency: 'SGD' });
    expect((await api('GET', `/v1/recurring-billing/${rb.id}`)).body.total_charge).toBe(2);

    const deleted = await api('DELETE', `/v1/recurring-billing/${rb.id}`);
    expect(deleted.body.status).toBe('canceled');
    const detached = (await hooks.waitFor(4))[3]!;
    expect(detached.headers['hitpay-event-type']).toBe('method_detached');
    expect(JSON.parse(detached.text).recurring_billing.status).toBe('canceled');
    expect(
      (await api('POST', `/v1/charge/recurring-billing/${rb.id}`, { amount: 1, currency: 'SGD' })).status,
    ).toBe(400);
    // Deleting again answers the object without a second event.
    expect((await api('DELETE', `/v1/recurring-billing/${rb.id}`)).status).toBe(200);
    await sb.webhooksIdle();
    expect(hooks.received).toHaveLength(4);
  });

  it('declines without attaching and refuses to approve twice', async () => {
    const { body: rb } = await session({ payment_methods: ['card', 'shopee_pay'] });
    expect(sb.approve(rb.id, { decline: true }).status).toBe('pending');
    expect(sb.approve(rb.id, { paymentMethod: 'shopee_pay' })).toMatchObject({
      status: 'active',
      payment_provider_charge_method: 'shopee_pay',
    });
    expect(() => sb.approve(rb.id)).toThrow(/active/);
    expect(sb.stats.outcomes).toMatchObject({ approved: 1, declined: 1 });
  });

  it('sets payment_method for cards', async () => {
    const { body: rb } = await session({ payment_methods: ['card'] });
    expect(sb.approve(rb.id).payment_method).toEqual({ card: { brand: 'visa', last4: '4242' } });
  });

  it('validates the charge body and 404s unknown ids', async () => {
    const { body: rb } = await session();
    sb.approve(rb.id);
    const missing = await api('POST', '/v1/charge/recurring-billing/00000000-0000-0000-0000-000000000000', {
      amount: 1,
      currency: 'SGD',
    });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(
      'No query results for model [App\\Business\\RecurringBilling] 00000000-0000-0000-0000-000000000000',
    );
    const low = await api('POST', `/v1/charge/recurring-billing/${rb.id}`, { amount: 0.1, currency: 'SGD' });
    expect(low.status).toBe(422);
    expect(low.body.errors.amount).toEqual(['The amount must be between 0.3 and 9999999.99.']);
    const noCurrency = await api('POST', `/v1/charge/recurring-billing/${rb.id}`, { amount: 1 });
    expect(noCurrency.body.errors.currency).toEqual(['The currency field is required.']);
  });

  it.each([
    ['insufficient-funds=failed', 200],
    ['insufficient-funds=422', 422],
    ['insufficient-funds=400', 400],
  ])('answers %s with %i and counts nothing', async (fault, status) => {
    const { body: rb } = await session();
    sb.approve(rb.id);
    const res = await api(
      'POST',
      `/v1/charge/recurring-billing/${rb.id}`,
      { amount: 3, currency: 'SGD' },
      { 'X-Sandbox-Fault': fault },
    );
    expect(res.status).toBe(status);
    if (status === 200)
      expect(res.body).toMatchObject({ status: 'failed', failed_reason: 'insufficient_funds', amount: 3 });
    else expect(res.body.message).toBe('Payment declined: insufficient funds.');
    expect((await api('GET', `/v1/recurring-billing/${rb.id}`)).body.total_charge).toBe(0);
  });

  it('lists sessions by reference', async () => {
    await session({ reference: 'a' });
    await session({ reference: 'b' });
    const { body } = await api('GET', '/v1/recurring-billing?reference=b');
    expect(body.data.map((x: any) => x.reference)).toEqual(['b']);
    expect(body.meta.total).toBe(1);
  });
});

describe('configurable behaviour', () => {
  it('uses insufficientFundsMode for a bare insufficient-funds fault', async () => {
    const other = await startSandbox({ insufficientFundsMode: '422' });
    try {
      const h = { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' };
      const rb = (await (
        await fetch(`${other.url}/v1/recurring-billing`, {
          method: 'POST',
          headers: h,
          body: JSON.stringify({ name: 'n', customer_email: 'a@b.co', save_payment_method: true }),
        })
      ).json()) as any;
      other.approve(rb.id);
      const res = await fetch(`${other.url}/v1/charge/recurring-billing/${rb.id}`, {
        method: 'POST',
        headers: { ...h, 'X-Sandbox-Fault': 'insufficient-funds' },
        body: JSON.stringify({ amount: 1, currency: 'SGD' }),
      });
      expect(res.status).toBe(422);
    } finally {
      await other.close();
    }
  });
});

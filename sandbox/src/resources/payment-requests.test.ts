import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emvCrcValid } from '../paynow-qr.js';
import { type Sandbox, startSandbox } from '../server.js';

const KEY = 'test_payment_requests';
let sb: Sandbox;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const isForm = typeof body === 'string';
  const res = await fetch(sb.url + path, {
    method,
    headers: {
      'X-BUSINESS-API-KEY': KEY,
      ...(body === undefined
        ? {}
        : { 'Content-Type': isForm ? 'application/x-www-form-urlencoded' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

describe('POST /v1/payment-requests', () => {
  it('creates a pending request with HitPay field types', async () => {
    const { status, body } = await api('POST', '/v1/payment-requests', {
      amount: 12.5,
      currency: 'SGD',
      reference_number: 'order-1',
      purpose: 'Coffee',
      redirect_url: 'https://shop.example/return',
      webhook: 'https://shop.example/hook',
      payment_methods: ['paynow_online', 'card'],
      send_sms: false,
      metadata: { order: '1' },
    });
    expect(status).toBe(200);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toMatchObject({
      amount: '12.50',
      currency: 'sgd',
      status: 'pending',
      reference_number: 'order-1',
      purpose: 'Coffee',
      send_sms: false,
      send_email: false,
      payment_methods: ['paynow_online', 'card'],
      metadata: { order: '1' },
      expiry_date: null,
    });
    expect(body.url).toBe(`${sb.url}/payment-request/@${sb.business(KEY).slug}/${body.id}/checkout`);
    expect(body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(body.payments).toBeUndefined();
    expect(sb.stats.created.paymentRequests).toBe(1);
    expect(sb.stats.calls['POST /v1/payment-requests']).toBe(1);
  });

  it('accepts form encoding with [] arrays and "true"/"false" booleans', async () => {
    const { status, body } = await api(
      'POST',
      '/v1/payment-requests',
      'amount=599&currency=myr&payment_methods[]=fpx&payment_methods[]=card&allow_repeated_payments=true&send_email=false',
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      amount: '599.00',
      currency: 'myr',
      payment_methods: ['fpx', 'card'],
      allow_repeated_payments: true,
    });
  });

  it('defaults the payment methods and send_sms like HitPay', async () => {
    const { body } = await api('POST', '/v1/payment-requests', { amount: '1', currency: 'sgd' });
    expect(body.payment_methods).toEqual(['paynow_online', 'card']);
    expect(body.send_sms).toBe(true);
  });

  it.each([
    [{ currency: 'SGD' }, 'amount', 'The amount field is required.'],
    [{ amount: 0.29, currency: 'SGD' }, 'amount', 'The amount must be between 0.3 and 999999999.99.'],
    [{ amount: '1000000000', currency: 'SGD' }, 'amount', 'The amount must be between 0.3 and 999999999.99.'],
    [{ amount: -5, currency: 'SGD' }, 'amount', 'The amount must be between 0.3 and 999999999.99.'],
    [{ amount: 'ten', currency: 'SGD' }, 'amount', 'The amount must be a number.'],
    [{ amount: 1 }, 'currency', 'The currency field is required.'],
    [{ amount: 1, currency: 'SGDX' }, 'currency', 'The currency must be 3 characters.'],
    [
      { amount: 1, currency: 'SGD', payment_methods: ['bitcoin'] },
      'payment_methods',
      'The selected payment methods is invalid.',
    ],
    [
      { amount: 1, currency: 'SGD', expires_after: '1 hour' },
      'expires_after',
      'The expires after format is invalid.',
    ],
    [
      { amount: 1, currency: 'SGD', expiry_date: '2020-01-01 00:00:00' },
      'expiry_date',
      'The expiry date must be a date after now.',
    ],
    [
      { amount: 1, currency: 'SGD', expiry_date: 'tomorrow' },
      'expiry_date',
      'The expiry date does not match the format Y-m-d H:i:s.',
    ],
    [{ amount: 1, currency: 'SGD', email: 'nope' }, 'email', 'The email must be a valid email address.'],
    [
      { amount: 1, currency: 'SGD', redirect_url: 'not a url' },
      'redirect_url',
      'The redirect url must be a valid URL.',
    ],
    [
      { amount: 1, currency: 'SGD', send_sms: 'maybe' },
      'send_sms',
      'The send sms field must be true or false.',
    ],
    [
      { amount: 1, currency: 'SGD', purpose: 'x'.repeat(256) },
      'purpose',
      'The purpose must not be greater than 255 characters.',
    ],
  ])('answers %j with Laravel 422 on %s', async (input, field, message) => {
    const { status, body } = await api('POST', '/v1/payment-requests', input);
    expect(status).toBe(422);
    expect(body).toEqual({ message, errors: { [field]: [message] } });
  });

  it('summarises several errors Laravel-style', async () => {
    const { status, body } = await api('POST', '/v1/payment-requests', {});
    expect(status).toBe(422);
    expect(body.message).toBe('The amount field is required. (and 1 more error)');
    expect(Object.keys(body.errors)).toEqual(['amount', 'currency']);
    expect(sb.stats.created.paymentRequests).toBe(0);
  });

  it('generates a PayNow QR whose CRC validates', async () => {
    const { body } = await api('POST', '/v1/payment-requests', {
      amount: '10.00',
      currency: 'SGD',
      generate_qr: true,
      payment_methods: ['paynow_online'],
      reference_number: 'qr-1',
      expires_after: '30 mins',
    });
    expect(body.qr_code_data.qr_code).toMatch(/^000201010212.*SG\.PAYNOW.*5303702540510\.00/);
    expect(emvCrcValid(body.qr_code_data.qr_code)).toBe(true);
    expect(body.qr_code_data.qr_code_expiry).toBe(body.expiry_date);
  });

  it('refuses generate_qr without a QR-capable method', async () => {
    const { status, body } = await api('POST', '/v1/payment-requests', {
      amount: 1,
      currency: 'SGD',
      generate_qr: 'true',
      payment_methods: ['card'],
    });
    expect(status).toBe(422);
    expect(body.errors.payment_methods).toHaveLength(1);
  });
});

describe('GET, PUT, DELETE /v1/payment-requests/{id}', () => {
  it('returns the request with payments[] after payment', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', {
      amount: '5',
      currency: 'SGD',
      email: 'buyer@example.com',
    });
    expect((await api('GET', `/v1/payment-requests/${pr.id}`)).body.payments).toEqual([]);
    sb.pay(pr.id);
    const { body } = await api('GET', `/v1/payment-requests/${pr.id}`);
    expect(body.status).toBe('completed');
    expect(body.payments).toHaveLength(1);
    expect(body.payments[0]).toMatchObject({
      status: 'succeeded',
      amount: '5.00',
      currency: 'sgd',
      refunded_amount: '0.00',
      payment_type: 'paynow_online',
      buyer_email: 'buyer@example.com',
    });
    expect(body.payments[0].fees).toMatch(/^\d+\.\d{2}$/);
  });

  it('404s with the model message, also for another business and non-UUID ids', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', { amount: '5', currency: 'SGD' });
    const other = await api('GET', `/v1/payment-requests/${pr.id}`, undefined, {
      'X-BUSINESS-API-KEY': 'test_someone_else',
    });
    expect(other.status).toBe(404);
    expect(other.body).toEqual({
      message: `No query results for model [App\\Business\\PaymentRequest] ${pr.id}`,
    });
    const bogus = await api('GET', '/v1/payment-requests/not-a-uuid');
    expect(bogus.body.message).toBe('No query results for model [App\\Business\\PaymentRequest] not-a-uuid');
  });

  it('updates a pending request with PUT', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', { amount: '5', currency: 'SGD' });
    const { status, body } = await api('PUT', `/v1/payment-requests/${pr.id}`, {
      amount: '7.25',
      currency: 'SGD',
      purpose: 'Updated',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: pr.id, amount: '7.25', purpose: 'Updated' });
    sb.pay(pr.id);
    expect((await api('PUT', `/v1/payment-requests/${pr.id}`, { amount: '1', currency: 'SGD' })).status).toBe(
      400,
    );
  });

  it('deletes a pending request but not a completed one', async () => {
    const { body: a } = await api('POST', '/v1/payment-requests', { amount: '5', currency: 'SGD' });
    expect(await api('DELETE', `/v1/payment-requests/${a.id}`)).toEqual({
      status: 200,
      body: { success: true },
    });
    expect((await api('GET', `/v1/payment-requests/${a.id}`)).status).toBe(404);
    expect((await api('DELETE', `/v1/payment-requests/${a.id}`)).status).toBe(404);
    const { body: b } = await api('POST', '/v1/payment-requests', { amount: '5', currency: 'SGD' });
    sb.pay(b.id);
    const refused = await api('DELETE', `/v1/payment-requests/${b.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/completed/);
  });

  it('expires requests past expires_after on the sandbox clock', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', {
      amount: '5',
      currency: 'SGD',
      expires_after: '30 mins',
    });
    sb.advanceTime(29 * 60_000);
    expect((await api('GET', `/v1/payment-requests/${pr.id}`)).body.status).toBe('pending');
    sb.advanceTime(2 * 60_000);
    expect((await api('GET', `/v1/payment-requests/${pr.id}`)).body.status).toBe('expired');
    expect(() => sb.pay(pr.id)).toThrow(/expired/);
    const viaApi = await fetch(`${sb.url}/_sandbox/payment-requests/${pr.id}/pay`, { method: 'POST' });
    expect(viaApi.status).toBe(422);
  });

  it('keeps allow_repeated_payments links pending and collects payments', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', {
      amount: '2',
      currency: 'SGD',
      allow_repeated_payments: true,
    });
    sb.pay(pr.id);
    sb.pay(pr.id);
    const { body } = await api('GET', `/v1/payment-requests/${pr.id}`);
    expect(body.status).toBe('pending');
    expect(body.payments).toHaveLength(2);
  });

  it('marks a failed attempt and lets the buyer retry', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', { amount: '2', currency: 'SGD' });
    expect(sb.pay(pr.id, { status: 'failed' }).status).toBe('failed');
    expect(sb.pay(pr.id).status).toBe('completed');
    const { body } = await api('GET', `/v1/payment-requests/${pr.id}`);
    expect(body.payments.map((p: any) => p.status)).toEqual(['failed', 'succeeded']);
  });

  it('lags the top-level status under the status-lag fault while payments[0] has succeeded', async () => {
    const { body: pr } = await api('POST', '/v1/payment-requests', { amount: '2', currency: 'SGD' });
    const paid = await fetch(`${sb.url}/_sandbox/payment-requests/${pr.id}/pay`, {
      method: 'POST',
      headers: { 'X-Sandbox-Fault': 'status-lag=2' },
    });
    expect(paid.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const { body } = await api('GET', `/v1/payment-requests/${pr.id}`);
      expect(body.status).toBe('pending');
      expect(body.payments[0].status).toBe('succeeded');
    }
    expect((await api('GET', `/v1/payment-requests/${pr.id}`)).body.status).toBe('completed');
  });
});

describe('GET /v1/payment-requests (list)', () => {
  it('paginates Laravel-style, newest first, and searches', async () => {
    for (let i = 1; i <= 12; i++) {
      await api('POST', '/v1/payment-requests', {
        amount: String(i),
        currency: 'SGD',
        reference_number: `ref-${i}`,
      });
      sb.advanceTime(1000);
    }
    const first = await api('GET', '/v1/payment-requests?per_page=5');
    expect(first.body.data).toHaveLength(5);
    expect(first.body.data[0].reference_number).toBe('ref-12');
    expect(first.body.meta).toMatchObject({
      current_page: 1,
      last_page: 3,
      per_page: 5,
      total: 12,
      from: 1,
      to: 5,
    });
    expect(first.body.links.prev).toBeNull();
    expect(first.body.links.next).toContain('current_page=2');
    const last = await api('GET', '/v1/payment-requests?per_page=5&current_page=3');
    expect(last.body.data.map((p: any) => p.reference_number)).toEqual(['ref-2', 'ref-1']);
    expect(last.body.links.next).toBeNull();
    const search = await api('GET', '/v1/payment-requests?search=REF-1');
    expect(search.body.data.map((p: any) => p.reference_number).sort()).toEqual([
      'ref-1',
      'ref-10',
      'ref-11',
      'ref-12',
    ]);
    const bad = await api('GET', '/v1/payment-requests?per_page=101');
    expect(bad.status).toBe(422);
    expect(bad.body.errors.per_page).toEqual(['The per page must not be greater than 100.']);
  });

  it('only lists the caller business', async () => {
    await api('POST', '/v1/payment-requests', { amount: '1', currency: 'SGD' });
    const other = await api('GET', '/v1/payment-requests', undefined, {
      'X-BUSINESS-API-KEY': 'test_other_business',
    });
    expect(other.body.meta.total).toBe(0);
  });
});

describe('authentication', () => {
  it.each([[{}], [{ 'X-BUSINESS-API-KEY': 'live_key' }], [{ 'X-BUSINESS-API-KEY': '' }]])(
    '401s with %j',
    async (headers) => {
      const res = await fetch(`${sb.url}/v1/payment-requests`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Unauthenticated.' });
    },
  );

  it('exposes the API salt of any test_ key through /_sandbox/business', async () => {
    const res = await fetch(`${sb.url}/_sandbox/business`, { headers: { 'X-BUSINESS-API-KEY': KEY } });
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ api_key: KEY, salt: sb.business(KEY).salt, slug: sb.business(KEY).slug });
    expect(body.salt).toMatch(/^[0-9a-f]{32}$/);
  });
});

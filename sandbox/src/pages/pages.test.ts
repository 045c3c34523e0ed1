import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emvCrcValid } from '../paynow-qr.js';
import { type Sandbox, startSandbox } from '../server.js';

const KEY = 'test_pages';
let sb: Sandbox;

async function api(path: string, body: unknown) {
  const res = await fetch(sb.url + path, {
    method: 'POST',
    headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as any;
}

const submit = (url: string, fields: Record<string, string>) =>
  fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });

beforeAll(async () => {
  sb = await startSandbox({ businesses: [{ apiKey: KEY, slug: 'pages-shop', name: 'Pages <Shop>' }] });
});
afterAll(() => sb.close());
beforeEach(() => sb.reset());

describe('checkout page', () => {
  it('shows amount, purpose, a PayNow QR and Pay/Fail buttons, escaping text', async () => {
    const pr = await api('/v1/payment-requests', {
      amount: '42.10',
      currency: 'SGD',
      purpose: '<script>x</script>',
    });
    expect(pr.url).toBe(`${sb.url}/payment-request/@pages-shop/${pr.id}/checkout`);
    const res = await fetch(pr.url);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(page).toContain('SGD 42.10');
    expect(page).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(page).not.toContain('<script>');
    expect(page).toContain('Pages &#60;Shop&#62;');
    expect(page).toMatch(/<svg[^>]*>/);
    expect(page).toMatch(/<button[^>]*value="completed">Pay<\/button>/);
    expect(page).toMatch(/<button[^>]*value="failed">Fail<\/button>/);
    expect(page).not.toMatch(/(src|href)="https?:/);
    const payload = /data-payload="([^"]+)"/
      .exec(page)![1]!
      .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
    expect(payload).toContain('Pages <Shop>');
    expect(emvCrcValid(payload)).toBe(true);
  });

  it('redirects to redirect_url with reference and status after paying', async () => {
    const pr = await api('/v1/payment-requests', {
      amount: '1',
      currency: 'SGD',
      redirect_url: 'https://shop.example/back?x=1',
    });
    const res = await submit(pr.url, { status: 'completed' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `https://shop.example/back?x=1&reference=${pr.id}&status=completed`,
    );
    const after = await (await fetch(pr.url)).text();
    expect(after).toContain('This payment request is completed.');
    expect(after).not.toContain('>Pay</button>');
    expect((await submit(pr.url, { status: 'completed' })).status).toBe(422);
  });

  it('fails a payment and shows a result page without redirect_url', async () => {
    const pr = await api('/v1/payment-requests', { amount: '1', currency: 'SGD', payment_methods: ['card'] });
    const res = await submit(pr.url, { status: 'failed' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Payment failed');
    expect(sb.state.paymentRequests[pr.id]!.status).toBe('failed');
  });

  it('404s an unknown id or wrong slug as HTML', async () => {
    const pr = await api('/v1/payment-requests', { amount: '1', currency: 'SGD' });
    const wrong = await fetch(`${sb.url}/payment-request/@other/${pr.id}/checkout`);
    expect(wrong.status).toBe(404);
    expect(await wrong.text()).toContain('does not exist');
  });
});

describe('wallet approval page', () => {
  it.each([
    ['grabpay_direct', 'GrabPay', '#00b14f'],
    ['shopee_pay', 'ShopeePay', '#ee4d2d'],
    ['touch_n_go', 'Touch &#39;n Go eWallet', '#005abb'],
    ['card', 'Card', '#1a1f36'],
  ])('renders the %s look with Approve/Decline', async (method, title, brand) => {
    const rb = await api('/v1/recurring-billing', {
      name: 'n',
      customer_email: 'a@b.co',
      save_payment_method: true,
      payment_methods: [method],
    });
    const page = await (await fetch(rb.url)).text();
    expect(page).toContain(`data-testid="rail">${title}</h1>`);
    expect(page).toContain(`--brand:${brand}`);
    expect(page).toMatch(/value="approve">Approve<\/button>/);
    expect(page).toMatch(/value="decline">Decline<\/button>/);
  });

  it('approves through the form and redirects', async () => {
    const rb = await api('/v1/recurring-billing', {
      name: 'n',
      customer_email: 'a@b.co',
      save_payment_method: true,
      payment_methods: ['grabpay_direct', 'shopee_pay'],
      redirect_url: 'https://shop.example/saved',
    });
    const page = await (await fetch(rb.url)).text();
    expect(page).toContain('name="payment_method" value="grabpay_direct" checked');
    const res = await submit(rb.url, { decision: 'approve', payment_method: 'shopee_pay' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `https://shop.example/saved?reference=${rb.id}&status=completed`,
    );
    expect(sb.state.recurringBillings[rb.id]).toMatchObject({ status: 'active', chargeMethod: 'shopee_pay' });
    const again = await submit(rb.url, { decision: 'approve' });
    expect(again.status).toBe(422);
    expect(await again.text()).toContain('active');
  });

  it('declines through the form', async () => {
    const rb = await api('/v1/recurring-billing', {
      name: 'n',
      customer_email: 'a@b.co',
      save_payment_method: true,
      redirect_url: 'https://s.example/',
    });
    const res = await submit(rb.url, { decision: 'decline' });
    expect(res.headers.get('location')).toBe(`https://s.example/?reference=${rb.id}&status=failed`);
    expect(sb.state.recurringBillings[rb.id]!.status).toBe('pending');
    expect((await submit(rb.url, { decision: 'maybe' })).status).toBe(422);
  });
});

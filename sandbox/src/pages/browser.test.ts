import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH, serviceAvailable } from '../../../test-support/services.js';
import { type Sandbox, startSandbox } from '../server.js';
import { startWebhookListener, type WebhookListener } from '../webhook-listener.js';
import { signV1, signV2 } from '../webhooks/signing.js';

/** Real Chromium against the hosted pages: pay a checkout, approve a wallet, see signed webhooks arrive. */
const hasChromium = await serviceAvailable('chromium');
const KEY = 'test_browser';

describe.skipIf(!hasChromium)('hosted pages in Chromium', () => {
  let sb: Sandbox;
  let hooks: WebhookListener;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  let endpointSalt: string;

  beforeAll(async () => {
    sb = await startSandbox({ webhookRetryDelaysMs: [50] });
    hooks = await startWebhookListener();
    endpointSalt = sb.registerWebhookEndpoint(KEY, { url: `${hooks.url}/v2` }).salt;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await sb?.close();
    await hooks?.close();
  });

  it('pays a checkout page, lands on redirect_url, and receives signed v1 and v2 webhooks', async () => {
    const res = await fetch(`${sb.url}/v1/payment-requests`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        amount: '18.80',
        currency: 'SGD',
        purpose: 'Weather API, 1 call',
        reference_number: 'mpp_ch_browser',
        redirect_url: `${hooks.url}/return`,
        webhook: `${hooks.url}/v1`,
      }),
    });
    const pr = (await res.json()) as any;
    const page = await browser.newPage();
    await page.goto(pr.url);
    expect(await page.getByTestId('amount').textContent()).toBe('SGD 18.80');
    expect(await page.getByTestId('purpose').textContent()).toBe('Weather API, 1 call');
    expect(await page.locator('[data-testid="paynow-qr"] svg').count()).toBe(1);

    await page.getByRole('button', { name: 'Pay', exact: true }).click();
    await page.waitForURL(/\/return\?/);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('reference')).toBe(pr.id);
    expect(landed.searchParams.get('status')).toBe('completed');
    expect(await page.locator('h1').textContent()).toBe('Returned to merchant');

    const received = await hooks.waitFor((list) => list.filter((h) => h.path !== '/return').length >= 3);
    const v1 = received.find((h) => h.path === '/v1')!;
    const { hmac, ...fields } = Object.fromEntries(new URLSearchParams(v1.text));
    expect(hmac).toBe(signV1(fields, sb.business(KEY).salt));
    expect(fields).toMatchObject({
      payment_request_id: pr.id,
      status: 'completed',
      amount: '18.80',
      currency: 'SGD',
    });
    const v2 = received.filter((h) => h.path === '/v2');
    expect(v2.map((h) => `${h.headers['hitpay-event-object']}.${h.headers['hitpay-event-type']}`)).toEqual([
      'payment_request.completed',
      'charge.created',
    ]);
    for (const h of v2) expect(h.headers['hitpay-signature']).toBe(signV2(h.rawBody, endpointSalt));
    await page.close();
  });

  it('shows the Fail path', async () => {
    const res = await fetch(`${sb.url}/v1/payment-requests`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: '1.00', currency: 'SGD', redirect_url: `${hooks.url}/return-failed` }),
    });
    const pr = (await res.json()) as any;
    const page = await browser.newPage();
    await page.goto(pr.url);
    await page.getByRole('button', { name: 'Fail', exact: true }).click();
    await page.waitForURL(/\/return-failed\?/);
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    await page.close();
  });

  it('approves a GrabPay wallet and receives recurring_billing.method_attached signed', async () => {
    hooks.received.length = 0;
    const res = await fetch(`${sb.url}/v1/recurring-billing`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'Agent wallet',
        customer_email: 'agent@example.com',
        save_payment_method: true,
        payment_methods: ['grabpay_direct'],
        reference: 'agent-7',
        redirect_url: `${hooks.url}/saved`,
      }),
    });
    const rb = (await res.json()) as any;
    const page = await browser.newPage();
    await page.goto(rb.url);
    expect(await page.getByTestId('rail').textContent()).toBe('GrabPay');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/\/saved\?/);
    expect(new URL(page.url()).searchParams.get('status')).toBe('completed');

    const [attached] = await hooks.waitFor(1);
    expect(attached!.headers['hitpay-event-type']).toBe('method_attached');
    expect(attached!.headers['hitpay-signature']).toBe(signV2(attached!.rawBody, endpointSalt));
    const body = JSON.parse(attached!.text);
    expect(body.recurring_billing).toMatchObject({
      id: rb.id,
      status: 'active',
      reference: 'agent-7',
      payment_provider_charge_method: 'grabpay_direct',
    });
    await page.close();
  });
});

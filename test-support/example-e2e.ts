/**
 * The end-to-end scenario every example API passes: the real API (adapter + embedded broker on
 * PGlite) against the offline HitPay sandbox, paid by the agent client over HTTP.
 *
 * - one-time: 402 → checkout created → the "person" pays in the sandbox → webhook → poll → retry →
 *   200 with a receipt verified against the broker's JWKS;
 * - saved method: setup → the wallet approves in the sandbox → grant → three charged calls, the
 *   remaining cap going down;
 * - a tampered receipt is ReceiptInvalid; a price above the budget is BudgetExceeded with nothing paid.
 */
import type { MppOptions } from '@hit-pay/mpp';
import { BudgetExceeded, MemoryLedger, mppFetch, mppSaveMethod, ReceiptInvalid } from '@hit-pay/mpp-client';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export const E2E_API_KEY = 'test_weather_example_key';
const WEBHOOK_SALT = 'weather-example-endpoint-salt';

/** A running example API. */
export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export interface E2EWorld {
  sandbox: Sandbox;
  api: RunningApi;
  options: MppOptions;
}

/** Starts the sandbox and an example API wired to it (embedded broker, in-memory PGlite). */
export async function startWorld(start: (options: MppOptions) => Promise<RunningApi>): Promise<E2EWorld> {
  const sandbox = await startSandbox({ port: 0, webhookRetryDelaysMs: [50, 200, 500] });
  const options: MppOptions = {
    apiKey: E2E_API_KEY,
    webhookSalt: WEBHOOK_SALT,
    apiSalt: sandbox.business(E2E_API_KEY).salt,
    hitpayBaseUrl: sandbox.url,
    database: 'memory://',
    brokerOptions: { reconcileIntervalMs: 0 },
  };
  const api = await start(options);
  // As a merchant does in HitPay's dashboard: a v2 endpoint for the saved-method lifecycle.
  sandbox.registerWebhookEndpoint(E2E_API_KEY, {
    url: `${api.url}/mpp/v1/webhook/hitpay`,
    salt: WEBHOOK_SALT,
  });
  return { sandbox, api, options };
}

/** Registers the example's end-to-end tests. */
export function describeExampleE2E(name: string, start: (options: MppOptions) => Promise<RunningApi>): void {
  describe(`${name} example, end to end (sandbox + embedded broker + agent client)`, () => {
    let w: E2EWorld;
    beforeAll(async () => {
      w = await startWorld(start);
    }, 60_000);
    afterAll(async () => {
      await w?.api.close();
      await w?.sandbox.close();
    });

    it('the free route is free', async () => {
      const res = await fetch(`${w.api.url}/health`);
      expect(res.status).toBe(200);
      expect(res.headers.get('www-authenticate')).toBeNull();
    });

    it('one-time: a person pays the HitPay checkout; the agent gets the forecast and a verified receipt', async () => {
      const ledger = new MemoryLedger();
      const prompts: string[] = [];
      const { response, receipt } = await mppFetch(`${w.api.url}/forecast/94103`, {
        ledger,
        pollInterval: 100,
        onChallenge: (ch) => {
          prompts.push(`${ch.displayAmount} ${ch.methodDetails.checkout_url}`);
          expect(ch.methodDetails.qr_code).toMatch(/^000201/); // a PayNow EMV payload
          w.sandbox.pay(String(ch.methodDetails.payment_request_id)); // the person scans and pays
          return { pay: true };
        },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ zip: '94103', paid: receipt?.reference });
      expect(prompts[0]).toMatch(/^SGD 1\.00 http/);
      expect(receipt).toMatchObject({ method: 'hitpay', amount: '100', currency: 'sgd', status: 'success' });
      expect((await ledger.entries()).map((e) => e.reference)).toEqual([receipt!.reference]);
    });

    it('saved method: approve a wallet once, then three calls are charged with no checkout', async () => {
      const grant = await mppSaveMethod(`${w.api.url}/forecast/94103/hourly`, {
        paymentMethod: 'grabpay_direct',
        customerEmail: 'ana@example.com',
        pollInterval: 100,
        onSetupUrl: (url) => {
          w.sandbox.approve(new URL(url).pathname.split('/').pop()!); // the person approves in GrabPay
        },
      });
      expect(grant).toMatchObject({
        rail: 'grabpay_direct',
        currency: 'sgd',
        maxAmountPerCharge: '100',
        totalAmountCap: '1000',
      });
      const charged = w.sandbox.stats.created.charges;
      const remaining: string[] = [];
      for (const zip of ['94103', '94103', '10001']) {
        const { response, receipt } = await mppFetch(`${w.api.url}/forecast/${zip}/hourly`, {
          savedMethodJws: grant.jws,
        });
        expect(response.status).toBe(200);
        expect(receipt).toMatchObject({ method: 'hitpay-save', amount: '50' });
        remaining.push(String((await response.json()).remaining));
      }
      expect(remaining).toEqual(['950', '900', '850']);
      expect(w.sandbox.stats.created.charges - charged).toBe(3);
    });

    it('a tampered receipt is ReceiptInvalid', async () => {
      const grant = await mppSaveMethod(`${w.api.url}/forecast/94103/hourly`, {
        paymentMethod: 'shopee_pay',
        customerEmail: 'ben@example.com',
        pollInterval: 100,
        onSetupUrl: (url) => {
          w.sandbox.approve(new URL(url).pathname.split('/').pop()!);
        },
      });
      const tampering: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        const header = res.headers.get('payment-receipt');
        if (!header) return res;
        const json = JSON.parse(Buffer.from(header, 'base64url').toString());
        const [h, p, s] = String(json.jws).split('.');
        const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
        const forged = {
          ...json,
          jws: `${h}.${Buffer.from(JSON.stringify({ ...claims, amount: '1' })).toString('base64url')}.${s}`,
        };
        const headers = new Headers(res.headers);
        headers.set('payment-receipt', Buffer.from(JSON.stringify(forged)).toString('base64url'));
        return new Response(res.body, { status: res.status, headers });
      };
      await expect(
        mppFetch(`${w.api.url}/forecast/94103/hourly`, { savedMethodJws: grant.jws, fetch: tampering }),
      ).rejects.toBeInstanceOf(ReceiptInvalid);
    });

    it('a price above the budget is refused before anything is paid', async () => {
      const before = w.sandbox.stats.created.paymentRequests;
      let asked = false;
      await expect(
        mppFetch(`${w.api.url}/forecast/94103`, {
          budget: { currency: 'sgd', maxPerRequest: '0.50' },
          onChallenge: () => {
            asked = true;
            return { pay: true };
          },
        }),
      ).rejects.toBeInstanceOf(BudgetExceeded);
      expect(asked).toBe(false);
      expect(w.sandbox.stats.created.paymentRequests).toBe(before);
    });
  });
}

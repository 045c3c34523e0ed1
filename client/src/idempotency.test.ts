import { base64url, type Challenge, formatChallenge } from '@hit-pay/mpp/protocol';
import { describe, expect, it } from 'vitest';
import { mppFetch } from './fetch.js';

/**
 * mppFetch sends an Idempotency-Key on the paid attempts of unsafe methods (R47's client side):
 * a fake API and broker behind the `fetch` option record what the client sends.
 */

const BROKER = 'https://broker.example';
const API = 'https://api.example.com/orders';

function challenge(): Challenge {
  const request = { amount: '500', currency: 'sgd', methodDetails: { broker: BROKER } };
  return {
    id: 'c'.repeat(43),
    realm: 'api.example.com',
    method: 'hitpay',
    intent: 'charge',
    request: base64url.encode(JSON.stringify(request)),
    expires: new Date(Date.now() + 600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** An API that asks for payment, answers the first paid attempt "still pending", then 503. */
function world() {
  const apiCalls: Headers[] = [];
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const fake = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    if (url === `${BROKER}/v1/charges`) {
      return json({
        id: 'ch_1',
        status: 'pending',
        amount: '500',
        currency: 'sgd',
        payment_request_id: 'pr_1',
        checkout_url: 'https://pay/1',
        polling_url: `${BROKER}/v1/charges/ch_1`,
      });
    }
    if (url === `${BROKER}/v1/charges/ch_1`) {
      return json({ id: 'ch_1', status: 'paid', amount: '500', currency: 'sgd', payment_request_id: 'pr_1' });
    }
    const headers = new Headers(init.headers);
    apiCalls.push(headers);
    if (!headers.has('authorization')) {
      return json({ type: 'https://paymentauth.org/problems/payment-required', status: 402 }, 402, {
        'www-authenticate': formatChallenge(challenge()),
      });
    }
    const paidAttempts = apiCalls.filter((h) => h.has('authorization')).length;
    if (paidAttempts === 1) {
      return json({ type: 'https://paymentauth.org/problems/payment-action-required', status: 402 }, 402, {
        'www-authenticate': formatChallenge(challenge()),
        'retry-after': '0',
      });
    }
    return json({ type: 'about:blank', status: 503 }, 503);
  }) as typeof fetch;
  return { fake, apiCalls };
}

const run = (method: string, fake: typeof fetch, headers: Record<string, string> = {}) =>
  mppFetch(API, {
    method,
    headers,
    body: method === 'GET' ? undefined : '{}',
    fetch: fake,
    onChallenge: () => true,
    pollInterval: 1,
  });

describe('mppFetch and Idempotency-Key', () => {
  it('POST: the paid attempts carry one sf-string UUID key, the same on every retry; the unpaid one none', async () => {
    const { fake, apiCalls } = world();
    const { response } = await run('POST', fake);
    expect(response.status).toBe(503);
    expect(apiCalls).toHaveLength(3);
    expect(apiCalls[0]!.get('idempotency-key')).toBeNull();
    const key = apiCalls[1]!.get('idempotency-key');
    expect(key).toMatch(/^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$/);
    expect(apiCalls[2]!.get('idempotency-key')).toBe(key);
    const again = world();
    await run('POST', again.fake);
    expect(again.apiCalls[1]!.get('idempotency-key')).not.toBe(key);
  }, 10_000);

  it("PUT, PATCH and DELETE too; the caller's own key is kept; GET gets none", async () => {
    for (const verb of ['PUT', 'PATCH', 'DELETE']) {
      const { fake, apiCalls } = world();
      await run(verb, fake);
      expect(apiCalls[2]!.get('idempotency-key')).toMatch(/^"[0-9a-f-]{36}"$/);
    }
    const own = world();
    await run('POST', own.fake, { 'Idempotency-Key': '"mine-1"' });
    expect(own.apiCalls.map((h) => h.get('idempotency-key'))).toEqual(['"mine-1"', '"mine-1"', '"mine-1"']);
    const get = world();
    await run('GET', get.fake);
    expect(get.apiCalls.map((h) => h.get('idempotency-key'))).toEqual([null, null, null]);
  }, 20_000);
});

/**
 * R66: the README's "Discovery" snippet runs as written (docs/docs.test.ts checks it appears here
 * verbatim), on the HitPay methods: the document lists the gate's operation with the price the
 * gate's 402 carries.
 */
import { createMpp } from '@hit-pay/mpp';
import { base64url, parseChallenges } from '@hit-pay/mpp/protocol';
import { describe, expect, it, vi } from 'vitest';

vi.stubEnv('HITPAY_API_KEY', 'test_readme_discovery_key');

async function readmeSnippet() {
  const mpp = createMpp({
    apiKey: process.env.HITPAY_API_KEY!,
    discovery: { title: 'Weather API', version: '1.0.0', categories: ['data'] },
  });
  // A route-level gate names its operation; route-map keys and Fastify routes need nothing more.
  const forecast = mpp.protect(
    { price: { amount: '1.00', currency: 'SGD' }, operation: 'GET /forecast/:zip' },
    async () => Response.json({ forecast: 'sunny' }),
  );
  // In front of your router: answers GET /openapi.json (and the broker's routes), else undefined.
  const discovered = await mpp.handle(new Request('https://api.example.com/openapi.json'));
  return { forecast, discovered };
}

describe('R66: README discovery snippet', () => {
  it('serves the document, whose offer is the one the 402 carries', async () => {
    const { forecast, discovered } = await readmeSnippet();
    expect(discovered?.status).toBe(200);
    const doc = await discovered!.json();
    expect(doc['x-service-info']).toEqual({ categories: ['data'] });
    const [offer] = doc.paths['/forecast/{zip}'].get['x-payment-info'].offers;
    expect(offer).toEqual({ intent: 'charge', method: 'hitpay', amount: '100', currency: 'sgd' });
    const res = await forecast(new Request('https://api.example.com/forecast/94103'), {
      params: Promise.resolve({ zip: '94103' }),
    });
    expect(res.status).toBe(402);
    const challenge = parseChallenges(res.headers.get('www-authenticate')!)[0]!;
    expect(challenge.method).toBe(offer.method);
    expect(JSON.parse(base64url.decodeText(challenge.request))).toMatchObject({
      amount: offer.amount,
      currency: offer.currency,
    });
  });
});

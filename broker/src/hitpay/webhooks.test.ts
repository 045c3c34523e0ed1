import { createHmac } from 'node:crypto';
import { MppError } from '@hit-pay/mpp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWebhookV2, paymentRequestPaid, verifyWebhookV1, verifyWebhookV2 } from './webhooks.js';

// Self-computed vectors of research/hitpay.md §3a and §3b.
const SALT = 'hitpay_test_salt';
const V1_BODY =
  'payment_id=92965a2d-ece3-4ace-1245-494050c9a3c1&payment_request_id=92965a20-dae5-4d89-a452-5fdfa382dbe1&reference_number=ABC123&phone=&amount=599.00&currency=SGD&status=completed&hmac=aee134c835d926c230fbeac94bab38f2908d89181ff4df65112d7f8c317ad904';
const V2_BODY =
  '{"id":"9ef68e2e-3569-4f69-9f68-04c7e4bb007c","status":"completed","amount":"10.00","currency":"sgd","reference_number":"mpp_ch_test_0001"}';
const V2_SIG = '9e63925186cf9dfcd8db9e58d97eb22fc14623934f890636a20d07998b8ec43a';

function unauthorized(fn: () => unknown): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MppError);
  expect((error as MppError).code).toBe('unauthorized');
}

describe('verifyWebhookV1', () => {
  it('accepts the research vector from bytes and from text', () => {
    const fields = verifyWebhookV1(Buffer.from(V1_BODY), SALT);
    expect(fields).toMatchObject({
      payment_id: '92965a2d-ece3-4ace-1245-494050c9a3c1',
      payment_request_id: '92965a20-dae5-4d89-a452-5fdfa382dbe1',
      reference_number: 'ABC123',
      phone: '',
      amount: '599.00',
      currency: 'SGD',
      status: 'completed',
    });
    expect(verifyWebhookV1(V1_BODY, SALT).status).toBe('completed');
  });

  it('accepts an uppercase hex hmac and any field order', () => {
    const reordered = V1_BODY.split('&')
      .reverse()
      .join('&')
      .replace(/hmac=([0-9a-f]+)/, (_, h: string) => `hmac=${h.toUpperCase()}`);
    expect(verifyWebhookV1(reordered, SALT).amount).toBe('599.00');
  });

  it.each([
    ['a changed amount', V1_BODY.replace('599.00', '1.00')],
    ['a changed status', V1_BODY.replace('status=completed', 'status=failed')],
    ['an added field', `${V1_BODY}&extra=1`],
    ['a removed field', V1_BODY.replace('phone=&', '')],
    ['a truncated hmac', V1_BODY.slice(0, -2)],
    ['no hmac', V1_BODY.replace(/&hmac=.*/, '')],
    ['a repeated field', `${V1_BODY}&amount=599.00`],
    ['an empty body', ''],
  ])('refuses %s', (_, body) => {
    unauthorized(() => verifyWebhookV1(body, SALT));
  });

  it('refuses the right body under the wrong salt and needs a salt', () => {
    unauthorized(() => verifyWebhookV1(V1_BODY, 'other_salt'));
    expect(() => verifyWebhookV1(V1_BODY, '')).toThrow(/not configured/);
  });

  it('never accepts a random tampering of a signed body', () => {
    fc.assert(
      fc.property(fc.nat(V1_BODY.length - 1), fc.string({ minLength: 1, maxLength: 1 }), (i, c) => {
        const tampered = V1_BODY.slice(0, i) + c + V1_BODY.slice(i + 1);
        if (tampered === V1_BODY) return;
        try {
          const fields = verifyWebhookV1(tampered, SALT);
          // Only an equivalent encoding of the same fields may still verify.
          expect(fields.amount).toBe('599.00');
          expect(fields.payment_request_id).toBe('92965a20-dae5-4d89-a452-5fdfa382dbe1');
        } catch (e) {
          expect((e as MppError).code).toBe('unauthorized');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('verifyWebhookV2', () => {
  it('accepts the research vector and returns the raw text', () => {
    expect(verifyWebhookV2(Buffer.from(V2_BODY), V2_SIG, SALT)).toBe(V2_BODY);
    expect(verifyWebhookV2(V2_BODY, [V2_SIG], SALT)).toBe(V2_BODY);
    expect(verifyWebhookV2(V2_BODY, `sha256=${V2_SIG.toUpperCase()}`, SALT)).toBe(V2_BODY);
  });

  it.each([
    ['whitespace re-serialisation', JSON.stringify(JSON.parse(V2_BODY), null, 1), V2_SIG],
    ['a changed amount', V2_BODY.replace('10.00', '10.01'), V2_SIG],
    ['a short signature', V2_BODY, V2_SIG.slice(1)],
    ['a flipped signature digit', V2_BODY, `${V2_SIG.slice(0, -1)}b`],
    ['no header', V2_BODY, undefined],
    ['an empty header', V2_BODY, ''],
    ['two headers', V2_BODY, [V2_SIG, V2_SIG]],
  ])('refuses %s', (_, body, sig) => {
    unauthorized(() => verifyWebhookV2(body, sig as string | undefined, SALT));
  });

  it('refuses the API salt when the endpoint salt signed (and vice versa)', () => {
    const endpointSalt = 'endpoint_salt';
    const sig = createHmac('sha256', endpointSalt).update(V2_BODY).digest('hex');
    expect(verifyWebhookV2(V2_BODY, sig, endpointSalt)).toBe(V2_BODY);
    unauthorized(() => verifyWebhookV2(V2_BODY, sig, SALT));
  });

  it('verifies exact bytes, including non-ASCII text', () => {
    const body = Buffer.from('{"purpose":"Kopi ☕ — 1 cup"}');
    const sig = createHmac('sha256', SALT).update(body).digest('hex');
    expect(verifyWebhookV2(body, sig, SALT)).toBe('{"purpose":"Kopi ☕ — 1 cup"}');
  });
});

describe('parseWebhookV2', () => {
  const pr = {
    id: 'pr-1',
    status: 'completed',
    amount: '10.00',
    currency: 'SGD',
    payments: [{ id: 'p-1', status: 'succeeded', amount: '10.00', currency: 'sgd' }],
  };

  it('parses flat and wrapped payment_request events', () => {
    const flat = parseWebhookV2(JSON.stringify(pr), {
      eventObject: 'payment_request',
      eventType: 'completed',
    });
    expect(flat.type).toBe('payment_request.completed');
    if (flat.type !== 'payment_request.completed') throw new Error('narrowing');
    expect(flat.paymentRequest).toMatchObject({ id: 'pr-1', currency: 'sgd', amount: '10.00' });
    const wrapped = parseWebhookV2(JSON.stringify({ event: 'payment_request.failed', payment_request: pr }));
    expect(wrapped.type).toBe('payment_request.failed');
  });

  it('parses charge events with number amounts', () => {
    const e = parseWebhookV2(
      JSON.stringify({ id: 'c', status: 'refunded', amount: 94.27, currency: 'SGD', refunded_amount: 94.27 }),
      {
        eventObject: ['charge'],
        eventType: ['updated'],
      },
    );
    expect(e).toMatchObject({
      type: 'charge.updated',
      charge: { amount: '94.27', refunded_amount: '94.27', currency: 'sgd' },
    });
  });

  it('parses the recurring_billing envelope', () => {
    const e = parseWebhookV2(
      JSON.stringify({
        event: 'recurring_billing.method_attached',
        affected_method_id: 'm-1',
        recurring_billing: { id: 'rb-1', status: 'active', amount: 149, currency: 'myr', total_charge: 0 },
      }),
    );
    expect(e).toMatchObject({
      type: 'recurring_billing.method_attached',
      affectedMethodId: 'm-1',
      recurringBilling: { id: 'rb-1', amount: '149.00' },
    });
  });

  it('keeps unknown events raw and refuses bodies that do not fit', () => {
    expect(parseWebhookV2('{"x":1}', { eventObject: 'payout', eventType: 'created' })).toMatchObject({
      type: 'unknown',
      eventName: 'payout.created',
    });
    expect(parseWebhookV2('[]')).toMatchObject({ type: 'unknown', eventName: null });
    expect(() => parseWebhookV2('nope')).toThrow(/not JSON/);
    expect(() => parseWebhookV2('{"id":1}', { eventObject: 'charge', eventType: 'created' })).toThrow(
      /expected shape/,
    );
  });
});

describe('paymentRequestPaid', () => {
  it('treats a succeeded payment as paid while the status lags', () => {
    expect(paymentRequestPaid({ status: 'pending', payments: [{ status: 'succeeded' } as any] })).toBe(true);
    expect(paymentRequestPaid({ status: 'completed', payments: [] })).toBe(true);
    expect(paymentRequestPaid({ status: 'pending', payments: [{ status: 'failed' } as any] })).toBe(false);
  });
});

import { base64url, formatReceipt } from '@hit-pay/mpp/protocol';
import { buildJwks, generateSigningKey, signGrant, signReceipt } from '@hit-pay/mpp/receipts';
import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { ReceiptInvalid } from './errors.js';
import { verifyPaymentReceipt } from './receipts.js';

const claims = {
  status: 'success' as const,
  method: 'hitpay',
  reference: 'pay_1',
  challengeId: 'cid',
  amount: '100',
  currency: 'sgd',
  requestHash: 'rh',
  merchant: 'm_1',
};
const expected = {
  method: 'hitpay',
  challengeId: 'cid',
  amount: '100',
  currency: 'sgd',
  realm: 'api.example.com',
  requestHash: 'rh',
};

async function setup() {
  const key = await generateSigningKey();
  const keys = createLocalJWKSet(buildJwks([key.publicJwk]));
  const jws = await signReceipt(claims, key, { issuer: 'b', audience: 'api.example.com' });
  const header = formatReceipt({
    status: 'success',
    method: 'hitpay',
    timestamp: '2026-01-01T00:00:00Z',
    reference: 'pay_1',
    challengeId: 'cid',
    jws,
  });
  return { key, keys, jws, header };
}

describe('receipt verification', () => {
  it('accepts a receipt signed by the broker for what was paid', async () => {
    const { keys, header } = await setup();
    expect(await verifyPaymentReceipt(header, keys, expected)).toMatchObject({
      reference: 'pay_1',
      amount: '100',
    });
  });
  it('a tampered, unsigned, foreign-key, wrong-amount or grant-typed receipt is ReceiptInvalid', async () => {
    const { key, keys, jws, header } = await setup();
    const other = await generateSigningKey();
    const [h, , s] = jws.split('.');
    const forged = `${h}.${base64url.encode(JSON.stringify({ ...claims, amount: '1' }))}.${s}`;
    const cases = [
      null,
      'not-base64!',
      formatReceipt({ status: 'success', method: 'hitpay', timestamp: 't', reference: 'pay_1' }),
      formatReceipt({ status: 'success', reference: 'pay_1', jws: forged }),
      formatReceipt({
        status: 'success',
        reference: 'pay_1',
        jws: await signReceipt(claims, other, { issuer: 'b', audience: 'api.example.com' }),
      }),
      formatReceipt({
        status: 'success',
        reference: 'pay_1',
        jws: await signGrant(
          {
            ...claims,
            sub: 's',
            realm: 'r',
            rail: 'x',
            maxAmountPerCharge: '1',
            totalAmountCap: '1',
          } as never,
          key,
          { issuer: 'b', audience: 'api.example.com' },
        ),
      }),
    ];
    for (const c of cases)
      await expect(verifyPaymentReceipt(c, keys, expected)).rejects.toBeInstanceOf(ReceiptInvalid);
    await expect(verifyPaymentReceipt(header, keys, { ...expected, amount: '99' })).rejects.toThrow(/amount/);
    await expect(
      verifyPaymentReceipt(header, keys, { ...expected, realm: 'evil.example' }),
    ).rejects.toBeInstanceOf(ReceiptInvalid);
  });
});

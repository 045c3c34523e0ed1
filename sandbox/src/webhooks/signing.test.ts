import { describe, expect, it } from 'vitest';
import { signV1, signV2, v1SignatureBase } from './signing.js';

// Self-computed vectors from research/hitpay.md §3a and §3b (Node crypto and Python hmac agree).
const V1_FIELDS = {
  payment_id: '92965a2d-ece3-4ace-1245-494050c9a3c1',
  payment_request_id: '92965a20-dae5-4d89-a452-5fdfa382dbe1',
  reference_number: 'ABC123',
  phone: '',
  amount: '599.00',
  currency: 'SGD',
  status: 'completed',
};

describe('v1 webhook signature (API-key salt over sorted key+value)', () => {
  it('builds the documented source string', () => {
    expect(v1SignatureBase(V1_FIELDS)).toBe(
      'amount599.00currencySGDpayment_id92965a2d-ece3-4ace-1245-494050c9a3c1payment_request_id92965a20-dae5-4d89-a452-5fdfa382dbe1phonereference_numberABC123statuscompleted',
    );
  });

  it('reproduces the research vector', () => {
    expect(signV1(V1_FIELDS, 'hitpay_test_salt')).toBe(
      'aee134c835d926c230fbeac94bab38f2908d89181ff4df65112d7f8c317ad904',
    );
  });

  it('ignores an hmac field already present', () => {
    expect(signV1({ ...V1_FIELDS, hmac: 'whatever' }, 'hitpay_test_salt')).toBe(
      signV1(V1_FIELDS, 'hitpay_test_salt'),
    );
  });
});

describe('v2 webhook signature (endpoint salt over the raw body)', () => {
  it('reproduces the research vector', () => {
    const body =
      '{"id":"9ef68e2e-3569-4f69-9f68-04c7e4bb007c","status":"completed","amount":"10.00","currency":"sgd","reference_number":"mpp_ch_test_0001"}';
    expect(signV2(body, 'hitpay_test_salt')).toBe(
      '9e63925186cf9dfcd8db9e58d97eb22fc14623934f890636a20d07998b8ec43a',
    );
    expect(signV2(Buffer.from(body), 'hitpay_test_salt')).toBe(signV2(body, 'hitpay_test_salt'));
  });
});

import { describe, expect, it } from 'vitest';
import { crc16CcittFalse, emvCrcValid, parseEmv, payNowPayload } from './paynow-qr.js';

describe('CRC-16/CCITT-FALSE', () => {
  it('matches the catalogue check value for "123456789"', () => {
    expect(crc16CcittFalse('123456789')).toBe(0x29b1);
  });
});

describe('payNowPayload', () => {
  const payload = payNowPayload({
    proxy: { type: 'uen', value: '201912345K' },
    amount: '10.50',
    currency: 'sgd',
    merchantName: 'MPP Demo Shop',
    reference: 'mpp_ch_test_0001',
    expiry: '20261231',
  });
  const fields = parseEmv(payload);
  const get = (id: string) => fields.find((f) => f.id === id);

  it('ends with a CRC that validates', () => {
    expect(emvCrcValid(payload)).toBe(true);
    expect(get('63')?.value).toMatch(/^[0-9A-F]{4}$/);
  });

  it('carries the PayNow merchant account template (ID 26)', () => {
    const sub = Object.fromEntries(get('26')!.children!.map((f) => [f.id, f.value]));
    expect(sub).toEqual({ '00': 'SG.PAYNOW', '01': '2', '02': '201912345K', '03': '0', '04': '20261231' });
  });

  it('has the EMV fields in order with SGD = 702', () => {
    expect(fields.map((f) => f.id)).toEqual([
      '00',
      '01',
      '26',
      '52',
      '53',
      '54',
      '58',
      '59',
      '60',
      '62',
      '63',
    ]);
    expect(get('00')?.value).toBe('01');
    expect(get('01')?.value).toBe('12');
    expect(get('52')?.value).toBe('0000');
    expect(get('53')?.value).toBe('702');
    expect(get('54')?.value).toBe('10.50');
    expect(get('58')?.value).toBe('SG');
    expect(get('59')?.value).toBe('MPP Demo Shop');
    expect(get('60')?.value).toBe('Singapore');
    expect(get('62')?.children?.[0]).toEqual({ id: '01', value: 'mpp_ch_test_0001' });
  });

  it('detects a tampered payload', () => {
    expect(emvCrcValid(payload.replace('10.50', '99.50'))).toBe(false);
    expect(emvCrcValid('')).toBe(false);
  });

  it('maps other currencies and truncates long names and references', () => {
    const p = payNowPayload({
      proxy: { type: 'mobile', value: '+6591234567' },
      amount: '1.00',
      currency: 'MYR',
      merchantName: 'A very long merchant name that exceeds the limit',
      reference: 'x'.repeat(40),
    });
    const f = parseEmv(p);
    expect(f.find((x) => x.id === '53')?.value).toBe('458');
    expect(f.find((x) => x.id === '59')?.value).toHaveLength(25);
    expect(f.find((x) => x.id === '26')?.children?.find((c) => c.id === '01')?.value).toBe('0');
    expect(emvCrcValid(p)).toBe(true);
  });

  it('rejects malformed EMV text when parsing', () => {
    expect(() => parseEmv('0002')).toThrow(RangeError);
  });
});

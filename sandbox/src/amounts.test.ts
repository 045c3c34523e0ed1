import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centsToNumber, centsToString, toCents } from './amounts.js';
import { parseExpiresAfter, parseSgDateTime, sgTimestamp, utcMicros } from './time.js';

describe('amounts', () => {
  it('parses numbers and decimal strings to cents', () => {
    expect(toCents('599')).toBe(59900);
    expect(toCents('12.5')).toBe(1250);
    expect(toCents(0.3)).toBe(30);
    expect(toCents('0.285')).toBe(29);
    expect(toCents(94.27)).toBe(9427);
  });

  it.each([-1, '-1', 'abc', '1e3', '', Number.NaN, Number.POSITIVE_INFINITY, null, {}, '1.2.3'])(
    'rejects %s',
    (v) => {
      expect(toCents(v)).toBeUndefined();
    },
  );

  it('formats cents both ways HitPay does', () => {
    expect(centsToString(59900)).toBe('599.00');
    expect(centsToString(5)).toBe('0.05');
    expect(centsToNumber(9427)).toBe(94.27);
  });

  it('round-trips any cents value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999_999 }), (c) => toCents(centsToString(c)) === c),
    );
  });
});

describe('time', () => {
  it('formats Singapore local time without a zone', () => {
    expect(sgTimestamp(Date.UTC(2025, 4, 21, 8, 57, 25))).toBe('2025-05-21T16:57:25');
    expect(utcMicros(Date.UTC(2025, 4, 21, 9, 17, 52))).toBe('2025-05-21T09:17:52.000000Z');
  });

  it('parses expiry_date in Singapore time and rejects impossible dates', () => {
    expect(parseSgDateTime('2025-05-26 15:10:00')).toBe(Date.UTC(2025, 4, 26, 7, 10, 0));
    expect(parseSgDateTime('2026-02-31 00:00:00')).toBeUndefined();
    expect(parseSgDateTime('2025-05-26T15:10:00')).toBeUndefined();
  });

  it('accepts "N mins|hours|days" and rejects "1 hour" like the real sandbox', () => {
    expect(parseExpiresAfter('30 mins')).toBe(30 * 60_000);
    expect(parseExpiresAfter('2 hours')).toBe(7_200_000);
    expect(parseExpiresAfter('1 days')).toBe(86_400_000);
    expect(parseExpiresAfter('1 hour')).toBeUndefined();
    expect(parseExpiresAfter('0 mins')).toBeUndefined();
    expect(parseExpiresAfter('soon')).toBeUndefined();
  });
});

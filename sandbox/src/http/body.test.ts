import { describe, expect, it } from 'vitest';
import { SandboxHttpError } from '../errors.js';
import { encodeForm, parseBody, parseFormFields } from './body.js';

describe('parseFormFields', () => {
  it('decodes PHP-style arrays and maps', () => {
    const input = parseFormFields(
      new URLSearchParams(
        'amount=10&payment_methods[]=card&payment_methods[]=paynow_online&metadata[order]=42&send_sms=false',
      ),
    );
    expect(input).toEqual({
      amount: '10',
      payment_methods: ['card', 'paynow_online'],
      metadata: { order: '42' },
      send_sms: 'false',
    });
  });

  it('keeps __proto__ as plain data', () => {
    const input = parseFormFields(new URLSearchParams('__proto__[polluted]=1&a[__proto__][b]=2'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(Object.hasOwn(input, '__proto__')).toBe(true);
  });

  it('treats malformed brackets as a plain key', () => {
    expect(parseFormFields(new URLSearchParams('a[b=1&[x]=2'))).toEqual({ 'a[b': '1', '[x]': '2' });
  });
});

describe('parseBody', () => {
  const raw = (s: string) => Buffer.from(s);
  it('parses JSON and form bodies, and sniffs when there is no content type', () => {
    expect(parseBody(raw('{"amount":1}'), 'application/json; charset=utf-8')).toEqual({ amount: 1 });
    expect(parseBody(raw('amount=1'), 'application/x-www-form-urlencoded')).toEqual({ amount: '1' });
    expect(parseBody(raw('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(parseBody(raw(''), 'application/json')).toEqual({});
  });

  it.each([
    ['{bad', 'application/json', 400],
    ['[1,2]', 'application/json', 400],
    ['"str"', 'application/json', 400],
    ['x', 'multipart/form-data', 415],
  ])('refuses %s (%s) with %i', (body, type, status) => {
    expect(() => parseBody(raw(body), type)).toThrow(SandboxHttpError);
    try {
      parseBody(raw(body), type);
    } catch (e) {
      expect((e as SandboxHttpError).status).toBe(status);
    }
  });
});

describe('encodeForm', () => {
  it('encodes arrays with []', () => {
    expect(encodeForm({ a: '1', m: ['x', 'y'] })).toBe('a=1&m%5B%5D=x&m%5B%5D=y');
  });
});

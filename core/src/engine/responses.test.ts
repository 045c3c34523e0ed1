import { describe, expect, it } from 'vitest';
import { withExposed, withPrivate } from './responses.js';

describe('withPrivate (R44: a response with a receipt is never shared-cached)', () => {
  it.each([
    [undefined, 'private'],
    ['', 'private'],
    ['max-age=60', 'max-age=60, private'],
    ['public, max-age=60', 'max-age=60, private'],
    ['max-age=60, public', 'max-age=60, private'],
    ['Public,max-age=60,s-maxage=600', 'max-age=60, private'],
    ['public', 'private'],
    ['no-transform, public, max-age=5', 'no-transform, max-age=5, private'],
    ['private, max-age=60', 'private, max-age=60'],
    ['no-store', 'no-store'],
  ])('%j → %j', (given, expected) => {
    expect(withPrivate(given)).toBe(expected);
  });
});

describe('withExposed', () => {
  it('adds the payment headers once, keeps the app’s, and leaves * alone', () => {
    expect(withExposed(undefined)).toBe('WWW-Authenticate, Payment-Receipt, Retry-After');
    expect(withExposed('X-Trace, payment-receipt')).toBe(
      'X-Trace, payment-receipt, WWW-Authenticate, Retry-After',
    );
    expect(withExposed('*')).toBe('*');
  });
});

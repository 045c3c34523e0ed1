import { describe, expect, it } from 'vitest';
import { groupHeaders } from './response.js';

describe('groupHeaders', () => {
  it('keeps repeated challenges as separate lines', () => {
    expect(
      groupHeaders([
        ['www-authenticate', 'Payment a'],
        ['www-authenticate', 'Payment b'],
      ]).get('www-authenticate'),
    ).toEqual(['Payment a', 'Payment b']);
  });
  it("extends the app's CORS expose list and Vary instead of replacing them", () => {
    const current = (n: string) => ({ 'access-control-expose-headers': 'X-Request-Id', vary: 'Origin' })[n];
    const g = groupHeaders(
      [
        ['access-control-expose-headers', 'WWW-Authenticate, Payment-Receipt, Retry-After'],
        ['vary', 'Accept'],
      ],
      current,
    );
    expect(g.get('access-control-expose-headers')).toBe(
      'X-Request-Id, WWW-Authenticate, Payment-Receipt, Retry-After',
    );
    expect(g.get('vary')).toBe('Origin, Accept');
  });
});

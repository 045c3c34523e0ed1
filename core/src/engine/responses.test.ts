import { describe, expect, it } from 'vitest';
import type { Challenge } from '../protocol/challenge.js';
import { MppError } from '../protocol/errors.js';
import { problemResponse, withExposed, withPrivate } from './responses.js';

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

describe('problemResponse body (written as text)', () => {
  const challenge = (id: string): Challenge => ({
    id,
    realm: 'api.example.com',
    method: 'test',
    intent: 'charge',
    request: 'e30',
    expires: '2026-01-01T00:00:00Z',
  });

  it('is the JSON the members describe: challengeId, then one summary per challenge with its details', () => {
    const decision = problemResponse(
      new MppError('payment-required', 'Pay "here"'),
      [challenge('a1'), challenge('b2')],
      [{ checkout: 'https://x.test/?a=1&b="2"' }, {}],
    );
    expect(JSON.parse(decision.body as string)).toEqual({
      type: 'https://paymentauth.org/problems/payment-required',
      title: 'Payment Required',
      status: 402,
      detail: 'Pay "here"',
      challengeId: 'a1',
      challenges: [
        {
          id: 'a1',
          method: 'test',
          intent: 'charge',
          expires: '2026-01-01T00:00:00Z',
          checkout: 'https://x.test/?a=1&b="2"',
        },
        { id: 'b2', method: 'test', intent: 'charge', expires: '2026-01-01T00:00:00Z' },
      ],
    });
  });

  it('an extension cannot repeat challengeId or challenges', () => {
    const error = new MppError('verification-failed', 'no', {
      extensions: { challengeId: 'forged', challenges: [], hint: 'retry' },
    });
    const text = problemResponse(error, [challenge('real')]).body as string;
    expect(text.match(/"challengeId"/g)).toHaveLength(1);
    expect(text.match(/"challenges"/g)).toHaveLength(1);
    expect(JSON.parse(text)).toMatchObject({ challengeId: 'real', hint: 'retry' });
  });
});

import { describe, expect, it } from 'vitest';
import { createMpp } from '../fetch.js';
import { MppConfigError } from '../protocol/errors.js';
import { parseChallenges } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { MAX_DESCRIPTION_LENGTH, MAX_EXTERNAL_ID_LENGTH } from './money.js';

const SECRET = 'challenge-size-secret-0123456789abcdef';
const mpp = () => createMpp({ methods: [testMethod()], secretKey: SECRET, realm: 'api.example.com' });
const get = () => new Request('https://api.example.com/forecast');
const ok = async () => Response.json({ ok: true });

describe('challenge size (R12: a challenge stays under 8 KB)', () => {
  it('the longest description and externalId allowed, in three-byte UTF-8, give a challenge under 8 KB', async () => {
    const handler = mpp().protect(
      {
        amount: '999999.99',
        currency: 'SGD',
        description: '€'.repeat(MAX_DESCRIPTION_LENGTH),
        externalId: '€'.repeat(MAX_EXTERNAL_ID_LENGTH),
      },
      ok,
    );
    const res = await handler(get());
    expect(res.status).toBe(402);
    const header = res.headers.get('www-authenticate')!;
    const [challenge] = parseChallenges(header);
    expect(Buffer.byteLength(header)).toBeLessThan(8192);
    // Not ASCII, so not a header parameter (a header carries bytes); the payer reads it in `request`.
    expect(challenge!.description).toBeUndefined();
    const request = JSON.parse(Buffer.from(challenge!.request, 'base64url').toString('utf8'));
    expect(request.description).toBe('€'.repeat(MAX_DESCRIPTION_LENGTH));
  });

  it('a Thai description reaches the payer inside request; the 402 goes out (no header encoding crash)', async () => {
    const handler = mpp().protect({ amount: '1.00', currency: 'THB', description: 'พยากรณ์อากาศ' }, ok);
    const res = await handler(get());
    expect(res.status).toBe(402);
    const [challenge] = parseChallenges(res.headers.get('www-authenticate')!);
    const request = JSON.parse(Buffer.from(challenge!.request, 'base64url').toString('utf8'));
    expect(request.description).toBe('พยากรณ์อากาศ');
  });

  it('a longer static description or externalId is refused at start-up', () => {
    const long = 'x'.repeat(MAX_DESCRIPTION_LENGTH + 1);
    expect(() => mpp().protect({ amount: '1.00', currency: 'SGD', description: long }, ok)).toThrow(
      MppConfigError,
    );
    const longId = 'x'.repeat(MAX_EXTERNAL_ID_LENGTH + 1);
    expect(() => mpp().protect({ amount: '1.00', currency: 'SGD', externalId: longId }, ok)).toThrow(
      MppConfigError,
    );
  });

  it('a price function returning a longer description gets a problem, never an oversized challenge', async () => {
    const handler = mpp().protect(
      () => ({ amount: '1.00', currency: 'SGD', description: 'x'.repeat(4000) }),
      ok,
    );
    const res = await handler(get());
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(Buffer.byteLength(res.headers.get('www-authenticate') ?? '')).toBeLessThan(8192);
  });
});

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256Base64url, sha256js } from './hash.js';
import {
  base64url,
  canonicalize,
  formatChallenge,
  formatCredential,
  formatTimestamp,
  hmacSha256,
  MppConfigError,
  MppError,
  PAYMENT_PROBLEM_BASE,
  parseAcceptPayment,
  parseChallenges,
  parseCredential,
  parseReceipt,
  parseTimestamp,
  REGISTERED_PROBLEMS,
  selectByAcceptPayment,
  sha256,
} from './index.js';

const challenge = {
  id: 'abc',
  realm: 'api.example.com',
  method: 'test',
  intent: 'charge',
  request: 'e30',
};

describe('challenge codec', () => {
  it('R12: custom parameters must be lower-case tokens', () => {
    expect(formatChallenge({ ...challenge, 'x-rail': 'paynow' })).toContain('x-rail="paynow"');
    expect(() => formatChallenge({ ...challenge, 'X-Rail': 'paynow' })).toThrow(MppError);
  });
  it('R4: an empty id is never emitted and never accepted', () => {
    expect(() => formatChallenge({ ...challenge, id: '' })).toThrow(MppError);
    expect(() =>
      parseChallenges('Payment id="", realm="r", method="m", intent="charge", request="e30"'),
    ).toThrow(MppError);
  });
  it('refuses to emit a CR/LF inside a parameter (header injection)', () => {
    expect(() => formatChallenge({ ...challenge, description: 'a\r\nSet-Cookie: x=1' })).toThrow(MppError);
  });
  it('keeps unknown parameters and round-trips them', () => {
    const c = parseChallenges(formatChallenge({ ...challenge, 'checkout-url': 'https://x/y?a=b' }))[0]!;
    expect(c['checkout-url']).toBe('https://x/y?a=b');
  });
  it('a parameter named __proto__ stays data', () => {
    const c = parseChallenges(
      'Payment id=a, realm=r, method=m, intent=charge, request=e30, __proto__="x"',
    )[0]!;
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toBe('x');
  });
  it('tolerates a token68 challenge before a Payment one', () => {
    const [c] = parseChallenges('Bearer abc==, Payment id=a, realm=r, method=m, intent=charge, request=e30');
    expect(c!.id).toBe('a');
  });
  it('an unterminated quoted-string breaks only its own challenge', () => {
    expect(() => parseChallenges('Payment id="a, realm=r, method=m, intent=charge, request=e30')).toThrow(
      MppError,
    );
  });
});

describe('credential codec', () => {
  const cred = { challenge: { ...challenge, expires: '2030-01-01T00:00:00Z' }, payload: { proof: 'ok-1' } };
  it('round-trips', () => {
    expect(parseCredential(formatCredential(cred))).toEqual(cred);
  });
  it('R23: non-object payload, missing challenge members, non-string optionals are malformed', () => {
    const bad = [
      { challenge: cred.challenge, payload: 'x' },
      { challenge: { ...cred.challenge, request: 1 }, payload: {} },
      { challenge: { ...cred.challenge, expires: 5 }, payload: {} },
      { challenge: cred.challenge, payload: {}, source: 1 },
      [],
      'str',
    ];
    for (const b of bad) {
      const h = `Payment ${base64url.encode(JSON.stringify(b))}`;
      const err = (() => {
        try {
          parseCredential(h);
        } catch (e) {
          return e;
        }
      })() as MppError;
      expect(err).toBeInstanceOf(MppError);
      expect(err.code).toBe('malformed-credential');
    }
  });
  it('V-CORE-5: the obsolete flat {id, payload} shape is malformed', () => {
    expect(() =>
      parseCredential(
        'Payment eyJpZCI6InFCM3dFclR5VTdpT3BBc0Q5ZkdoSmsiLCJwYXlsb2FkIjp7InByZWltYWdlIjoiMHhhYmMxMjMuLi4ifX0',
      ),
    ).toThrow(/malformed-credential/);
  });
  it('R34: a 4 KB+ credential is processed', () => {
    const big = { ...cred, payload: { proof: 'ok-1', pad: 'x'.repeat(6000) } };
    const h = formatCredential(big);
    expect(h.length).toBeGreaterThan(8000);
    expect(parseCredential(h).payload.pad).toHaveLength(6000);
  });
  it('R35: unknown members are kept and ignored', () => {
    const c = parseCredential(
      formatCredential({ ...cred, extra: 1, challenge: { ...cred.challenge, zz: 'y' } }),
    );
    expect(c.extra).toBe(1);
  });
  it('V-NEG N9: the scheme name is case-insensitive', () => {
    expect(parseCredential(formatCredential(cred).replace('Payment', 'PAYMENT')).payload).toEqual({
      proof: 'ok-1',
    });
  });
});

describe('receipt codec', () => {
  it('keeps integers beyond 2^53 exact', () => {
    const r = parseReceipt(base64url.encode('{"n":9007199254740993}'));
    expect(r.n).toBe(9007199254740993n);
  });
  it('rejects non-objects', () => {
    expect(() => parseReceipt(base64url.encode('[1]'))).toThrow(/malformed-receipt/);
  });
});

describe('problem types', () => {
  it('every type registered by -00 and -01 maps to its status and RFC 9457 body', () => {
    const expected: Record<string, number> = {
      'payment-required': 402,
      'payment-insufficient': 402,
      'payment-expired': 402,
      'verification-failed': 402,
      'method-unsupported': 400,
      'malformed-credential': 402,
      'invalid-challenge': 402,
      'bad-request': 400,
      'invalid-payload': 402,
      'internal-payment-error': 500,
      'payment-action-required': 402,
    };
    expect([...REGISTERED_PROBLEMS].sort()).toEqual(Object.keys(expected).sort());
    for (const [code, status] of Object.entries(expected)) {
      const e = new MppError(code as never, 'why');
      expect(e.status).toBe(status);
      expect(e.toProblem('cid')).toMatchObject({
        type: PAYMENT_PROBLEM_BASE + code,
        status,
        detail: 'why',
        challengeId: 'cid',
      });
    }
  });
  it('MppError.from wraps unknown errors as internal-payment-error and instanceof survives duplicates', () => {
    const wrapped = MppError.from(new Error('boom'));
    expect(wrapped.code).toBe('internal-payment-error');
    expect(wrapped.toProblem().detail).not.toContain('boom');
    const foreign = Object.assign(Object.create(Error.prototype), {
      [Symbol.for('@hit-pay/mpp.MppError')]: true,
    });
    expect(foreign instanceof MppError).toBe(true);
  });
  it('config errors name the package and the option', () => {
    const e = new MppConfigError('@hit-pay/mpp', 'secretKey', 'must be at least 32 bytes');
    expect(e.message).toContain('@hit-pay/mpp: option "secretKey"');
    expect(e.option).toBe('secretKey');
  });
});

describe('Accept-Payment (R20–R22, V-CORE-9)', () => {
  const offers = (list: string) =>
    list.split(',').map((s) => {
      const [method, intent] = s.trim().split('/');
      return { method: method!, intent: intent! };
    });
  const names = (o: { method: string; intent: string }[]) =>
    o.map((x) => `${x.method}/${x.intent}`).join(', ');
  const all = offers('tempo/charge, tempo/session, stripe/charge, solana/charge');
  it('R21: orders by q, keeps server order among equals', () => {
    expect(
      names(
        selectByAcceptPayment(all, 'tempo/charge, tempo/session, stripe/charge;q=0.5, solana/charge;q=0.3'),
      ),
    ).toBe('tempo/charge, tempo/session, stripe/charge, solana/charge');
    expect(
      names(
        selectByAcceptPayment(
          offers('tempo/session, tempo/charge, solana/charge, stripe/charge'),
          'tempo/*, solana/*;q=0.6, stripe/charge;q=0.2',
        ),
      ),
    ).toBe('tempo/session, tempo/charge, solana/charge, stripe/charge');
  });
  it('R21: q=0 excludes and the most specific range wins', () => {
    expect(
      names(
        selectByAcceptPayment(
          all,
          'tempo/charge, tempo/session;q=0, solana/charge;q=0.8, stripe/charge;q=0.4',
        ),
      ),
    ).toBe('tempo/charge, solana/charge, stripe/charge');
    expect(names(selectByAcceptPayment(all, 'tempo/*, tempo/session;q=0'))).toBe('tempo/charge');
  });
  it('R20/R22: absent, malformed or unmatched headers leave the full set', () => {
    expect(selectByAcceptPayment(all, undefined)).toEqual(all);
    expect(selectByAcceptPayment(all, 'foo//bar;;q=x')).toEqual(all);
    expect(selectByAcceptPayment(offers('tempo/charge'), 'lightning/*')).toEqual(offers('tempo/charge'));
    expect(parseAcceptPayment('a/b;q=1.5')).toBeUndefined();
  });
});

describe('expiry timestamps', () => {
  it('formats whole-second UTC and parses strict RFC 3339', () => {
    expect(formatTimestamp(Date.UTC(2026, 8, 15, 12, 5, 0, 999))).toBe('2026-09-15T12:05:00Z');
    expect(parseTimestamp('2026-09-15T12:05:00Z')).toBe(Date.UTC(2026, 8, 15, 12, 5));
    expect(parseTimestamp('2026-09-15T20:05:00+08:00')).toBe(Date.UTC(2026, 8, 15, 12, 5));
    expect(parseTimestamp('2026-02-30T00:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2026-09-15 12:05:00')).toBeUndefined();
    expect(parseTimestamp('tomorrow')).toBeUndefined();
  });
});

describe('JCS', () => {
  it('rejects non-finite numbers and skips undefined members', () => {
    expect(() => canonicalize({ a: Number.NaN })).toThrow(MppError);
    expect(canonicalize({ b: undefined, a: [undefined, 1] })).toBe('{"a":[null,1]}');
  });
});

describe('hashing fallback', () => {
  it('the pure-JS SHA-256 agrees with node:crypto', () => {
    for (const len of [0, 1, 55, 56, 63, 64, 65, 1000]) {
      const data = new Uint8Array(len).map((_, i) => (i * 31 + len) & 255);
      expect(Buffer.from(sha256js(data)).toString('hex')).toBe(Buffer.from(sha256(data)).toString('hex'));
    }
    expect(Buffer.from(hmacSha256('key', 'msg')).toString('hex')).toBe(
      '2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628',
    );
  });

  it('the one-shot HMAC (ASCII data) and its fallback agree with createHmac, for every kind of key', () => {
    const keys: (string | Uint8Array)[] = [
      '',
      'key',
      'k'.repeat(64),
      'k'.repeat(65),
      'clé-ünïcode',
      new Uint8Array(32).map((_, i) => 255 - i),
      new Uint8Array(100).map((_, i) => i * 7),
    ];
    const data = [
      '',
      'msg',
      'a|b|c|'.repeat(80),
      'rèalm|€|non-ascii',
      '\u0000\u007f',
      new Uint8Array([0, 200, 255]),
    ];
    for (let round = 0; round < 2; round++) {
      // The second round hits the cached pads.
      for (const key of keys)
        for (const d of data)
          expect(hmacSha256Base64url(key, d)).toBe(createHmac('sha256', key).update(d).digest('base64url'));
    }
  });
});

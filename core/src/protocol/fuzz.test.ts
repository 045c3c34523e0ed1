import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64url,
  canonicalize,
  canonicalizeJson,
  formatChallenge,
  formatCredential,
  formatReceipt,
  MppError,
  parseAcceptPayment,
  parseChallenges,
  parseCredential,
  parseJson,
  parseReceipt,
  parseTimestamp,
} from './index.js';

/**
 * Property tests: on arbitrary input every parser returns or throws only MppError, and
 * format → parse round-trips. 10,000 runs per parser.
 */
const RUNS = 10_000;

function onlyMppErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MppError)) throw e;
  }
}

// Strings biased towards the syntax the parsers care about.
const headerish = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({
    unit: fc.constantFrom(...'Payment id=realm,"\\ \t;q/*-_=abcXYZ09\r\n\u0000é'),
    maxLength: 200,
  }),
  fc
    .array(
      fc.constantFrom(
        'Payment ',
        'Basic ',
        'id=',
        'realm="r"',
        ', ',
        '"',
        '\\',
        'request=e30',
        'method=m',
        'intent=charge',
      ),
      {
        maxLength: 30,
      },
    )
    .map((a) => a.join('')),
);
const token = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
  minLength: 1,
  maxLength: 12,
});
const qtext = fc.string({ unit: fc.constantFrom(...'ab "\\,=;\té€😀x'), maxLength: 40 });

describe('parsers never throw anything but MppError', () => {
  it('parseChallenges', () => {
    fc.assert(
      fc.property(headerish, (h) => onlyMppErrors(() => parseChallenges(h))),
      { numRuns: RUNS },
    );
  });
  it('parseCredential', () => {
    const b64json = fc.jsonValue().map((v) => `Payment ${base64url.encode(JSON.stringify(v))}`);
    fc.assert(
      fc.property(fc.oneof(headerish, b64json), (h) => onlyMppErrors(() => parseCredential(h))),
      {
        numRuns: RUNS,
      },
    );
  });
  it('parseReceipt', () => {
    const b64json = fc.jsonValue().map((v) => base64url.encode(JSON.stringify(v)));
    fc.assert(
      fc.property(fc.oneof(headerish, b64json), (h) => onlyMppErrors(() => parseReceipt(h))),
      {
        numRuns: RUNS,
      },
    );
  });
  it('base64url.decode', () => {
    fc.assert(
      fc.property(headerish, (h) => onlyMppErrors(() => base64url.decode(h))),
      { numRuns: RUNS },
    );
  });
  it('parseJson and canonicalizeJson', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(text, (t) => {
        onlyMppErrors(() => parseJson(t));
        onlyMppErrors(() => canonicalizeJson(t));
      }),
      { numRuns: RUNS },
    );
  });
  it('parseAcceptPayment and parseTimestamp never throw', () => {
    fc.assert(
      fc.property(headerish, (h) => {
        parseAcceptPayment(h);
        parseTimestamp(h);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('round trips', () => {
  const challengeArb = fc.record(
    {
      id: token,
      realm: qtext,
      method: token,
      intent: token,
      request: fc.jsonValue().map((v) => base64url.encode(canonicalize({ v }))),
      expires: fc.constant('2030-01-01T00:00:00Z'),
      description: qtext,
      opaque: fc.dictionary(token, qtext).map((o) => base64url.encode(canonicalize(o))),
    },
    { requiredKeys: ['id', 'realm', 'method', 'intent', 'request'] },
  );
  it('formatChallenge → parseChallenges', () => {
    fc.assert(
      fc.property(fc.array(challengeArb, { minLength: 1, maxLength: 3 }), (cs) => {
        const header = cs.map((c) => formatChallenge(c)).join(', ');
        expect(parseChallenges(header)).toEqual(cs);
      }),
      { numRuns: RUNS },
    );
  });
  it('formatCredential → parseCredential', () => {
    fc.assert(
      fc.property(challengeArb, fc.dictionary(token, fc.jsonValue()), (challenge, payload) => {
        const cred = { challenge, payload };
        const parsed = parseCredential(formatCredential(cred));
        expect(parsed.challenge).toEqual(challenge);
        // Integers beyond 2^53 come back as bigint; the wire form is what must survive.
        expect(formatCredential(parsed)).toBe(formatCredential(cred));
      }),
      { numRuns: RUNS },
    );
  });
  it('formatReceipt → parseReceipt', () => {
    fc.assert(
      fc.property(fc.dictionary(token, fc.oneof(fc.jsonValue(), fc.bigInt())), (r) => {
        const back = parseReceipt(formatReceipt(r as never));
        expect(formatReceipt(back)).toBe(formatReceipt(r as never));
      }),
      { numRuns: RUNS },
    );
  });
  it('base64url encode → decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(base64url.decode(base64url.encode(bytes))).toEqual(bytes);
        expect(base64url.encode(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('portable base64url (browsers) agrees with the Node fast path', () => {
  it('same bytes, same errors', async () => {
    const { base64urlPortable } = await import('./base64url.js');
    const outcome = (f: () => Uint8Array) => {
      try {
        return Buffer.from(f()).toString('hex');
      } catch (e) {
        return (e as MppError).code;
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          headerish,
          fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('base64url')),
        ),
        (s) => {
          expect(outcome(() => base64urlPortable.decode(s))).toBe(outcome(() => base64url.decode(s)));
        },
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(base64urlPortable.encode(b)).toBe(base64url.encode(b));
      }),
      { numRuns: 1000 },
    );
  });
});

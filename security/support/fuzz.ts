/**
 * fast-check arbitraries for hostile HTTP: header names in odd casings, values with control
 * characters and latin1 bytes up to 64 KiB, repeated headers, path-bypass targets (x402 #318, #2541,
 * #3036), random bodies and content types, and near-valid Payment credentials.
 */
import { base64url, type Challenge, formatCredential } from '@hit-pay/mpp/protocol';
import fc from 'fast-check';

/** How many runs each property makes (override with MPP_FUZZ_RUNS for a longer local session). */
export const FUZZ_RUNS = Number(process.env.MPP_FUZZ_RUNS ?? 0) || undefined;
export const runs = (n: number) => FUZZ_RUNS ?? n;

const KNOWN_HEADERS = [
  'Authorization',
  'Payment-Authorization',
  'Accept-Payment',
  'Accept',
  'Content-Type',
  'Origin',
  'Host',
  'X-Forwarded-Proto',
  'X-Forwarded-Host',
  'X-Forwarded-For',
  'Idempotency-Key',
  'X-Setup-Token',
  'Hitpay-Signature',
  'Hitpay-Event-Object',
  'Hitpay-Event-Type',
  'Cookie',
  'User-Agent',
  'X-Mpp-Remote-Address',
  'Cache-Control',
  'Access-Control-Request-Headers',
];

/** A header name: a known one in a random casing, or a random token. */
export const headerName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_HEADERS) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...KNOWN_HEADERS), fc.infiniteStream(fc.boolean()))
      .map(([name, flips]) =>
        [...name].map((ch) => (flips.next().value ? ch.toUpperCase() : ch.toLowerCase())).join(''),
      ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$/) },
);

/** One latin1 byte other than CR and LF (those would end the header line: separate cases). */
const headerByte = fc
  .integer({ min: 0, max: 255 })
  .filter((b) => b !== 13 && b !== 10)
  .map((b) => String.fromCharCode(b));

/** A header value: short junk, a control-character mix, or a long one up to 64 KiB. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 3, arbitrary: fc.string({ unit: headerByte, maxLength: 200 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Payment',
      'Payment ',
      'payment abc',
      'PAYMENT e30',
      'Payment eyJ9',
      'Bearer x, Payment e30',
      'Payment e30, Payment e30',
      'hitpay/charge;q=abc, */*;q=-1',
      '*/*;q=0',
      'text/html',
      'https',
      'http',
      '127.0.0.1, 10.0.0.1',
      'sha256=00',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 4096, max: 64 * 1024 }), fc.constantFrom('A', 'Payment ', '%', 'é', ','))
      .map(([n, unit]) => (unit.length > 1 ? unit + 'A'.repeat(n) : unit.repeat(n))),
  },
);

/** Path targets, with the bypass tricks of the x402 history around the protected routes. */
export const target: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '/paid/1',
      '/PAID/1',
      '/paid/1/',
      '//paid/1',
      '/paid//1',
      '/paid/%31',
      '/paid%2F1',
      '/paid%2f1',
      '/./paid/1',
      '/free/../paid/1',
      '/free/..%2Fpaid/1',
      '/free/%2e%2e/paid/1',
      '/paid\\1',
      '/\\paid/1',
      '/paid/1%0A',
      '/paid/1%0D%0A',
      '/paid/1%E2%80%A8',
      '/paid/1%00',
      '/paid/1;x=1',
      '/paid/1?x=%ZZ',
      '/paid/1#frag',
      '/p%61id/1',
      '/paid/%',
      '/paid/%%32',
      '/orders',
      '/ORDERS',
      '/orders/',
      '/orders%2F',
      '/mpp/../paid/1',
      '/mpp/%2e%2e/paid/1',
      '/mpp/ping',
      '/mpp/echo',
      '/mpp',
      '/mpp?x',
      '/.well-known/jwks.json',
      '/free',
      '/free/echo',
      '*',
      'http://evil.example/paid/1',
      '/paid/1?units=metric&units=imperial',
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.webSegment(), fc.constantFrom('paid', 'orders', 'mpp', '..', '.', '%2e', '')), {
        maxLength: 6,
      })
      .map((segs) => `/${segs.join('/')}`),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => `/paid/${encodeURIComponent(s)}`),
  },
  { weight: 1, arbitrary: fc.nat(8000).map((n) => `/paid/${'x'.repeat(n)}`) },
);

export const method: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('get', 'Post', 'TRACE', 'PROPFIND', 'FOO') },
);

export const contentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/problem+json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/plain',
    'application/octet-stream',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    '',
    ';;;',
    'application/json, text/plain',
  ),
  fc.string({ maxLength: 60 }),
);

/** Request bodies: random bytes, JSON-looking text, or oversized (the engine's limit is 64 KiB). */
export const body: fc.Arbitrary<Uint8Array | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  {
    weight: 3,
    arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60_000, max: 90_000 }).map((n) => new Uint8Array(n).fill(0x7b)),
  },
);

/** Bound challenge members a tampered credential may change (`description` is unbound on purpose). */
const BOUND = [
  'id',
  'realm',
  'method',
  'intent',
  'request',
  'expires',
  'digest',
  'opaque',
  'header',
] as const;

/** A recipe for a near-valid credential: applied to a fresh, genuine challenge at run time. */
export interface CredentialRecipe {
  /** Bound member to change (or drop, with `undefined`), or none. */
  tamper?: { member: (typeof BOUND)[number]; value: string | undefined };
  proof: string;
  /** Extra unknown members (must be ignored, R35). */
  extra: Record<string, string>;
  /** Send in Payment-Authorization instead of Authorization. */
  otherField: boolean;
  /** Send the credential twice. */
  twice: boolean;
}

export const credentialRecipe: fc.Arbitrary<CredentialRecipe> = fc.record({
  tamper: fc.option(
    fc.record({
      member: fc.constantFrom(...BOUND),
      value: fc.option(
        fc.oneof(
          fc.string({ maxLength: 50 }),
          fc.constantFrom('2099-01-01T00:00:00Z', '2000-01-01T00:00:00Z', 'e30', 'test', 'hitpay', 'charge'),
        ),
        { nil: undefined },
      ),
    }),
    { nil: undefined },
  ),
  // Not 'crash' or 'unavailable': the test method answers those 500 and 503 on purpose.
  proof: fc.oneof(
    fc.constantFrom('ok-1', 'ok-2', 'pending'),
    fc.string({ maxLength: 20 }).filter((p) => p !== 'crash' && p !== 'unavailable'),
  ),
  extra: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
  otherField: fc.constantFrom(false, false, false, false, true),
  twice: fc.constantFrom(false, false, false, false, true),
});

let proofCounter = 0;

/** Builds the header lines of a recipe against a genuine challenge. */
export function credentialHeaders(challenge: Challenge, recipe: CredentialRecipe): [string, string][] {
  const echoed: Record<string, unknown> = { ...challenge };
  if (recipe.tamper) {
    if (recipe.tamper.value === undefined) delete echoed[recipe.tamper.member];
    else echoed[recipe.tamper.member] = recipe.tamper.value;
  }
  // Fresh proofs so a genuine credential can pay (the invariant is: runs == payments, each once).
  const proof = recipe.proof.startsWith('ok-') ? `ok-${++proofCounter}${process.pid}` : recipe.proof;
  const value = formatCredential({
    challenge: echoed as never,
    payload: { proof },
    ...recipe.extra,
  } as never);
  const name = recipe.otherField ? 'Payment-Authorization' : 'Authorization';
  return recipe.twice
    ? [
        [name, value],
        [name, value],
      ]
    : [[name, value]];
}

/** Random base64url "credentials" (not JSON, JSON of the wrong shape, huge). */
export const junkCredential: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 100 }).map((s) => `Payment ${base64url.encode(s)}`),
  fc.jsonValue({ maxDepth: 3 }).map((v) => `Payment ${base64url.encode(JSON.stringify(v))}`),
  fc
    .record({ challenge: fc.jsonValue({ maxDepth: 2 }), payload: fc.jsonValue({ maxDepth: 2 }) })
    .map((v) => `Payment ${base64url.encode(JSON.stringify(v))}`),
  fc.nat(8192).map((n) => `Payment ${'A'.repeat(n)}`),
);

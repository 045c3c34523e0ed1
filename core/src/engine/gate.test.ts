import { describe, expect, it } from 'vitest';
import { createMpp } from '../fetch.js';
import {
  base64url,
  type Challenge,
  canonicalize,
  computeChallengeId,
  contentDigest,
  formatCredential,
  isSuccessReceipt,
  parseChallenges,
  parseReceipt,
} from '../protocol/index.js';
import { testMethod } from '../testing/index.js';

const SECRET = 'mpp-conformance-secret-0123456789abcdef';
const T0 = Date.UTC(2026, 8, 15, 12, 0, 0);

function setup(extra: Partial<Parameters<typeof createMpp>[0]> = {}) {
  let now = T0;
  const method = testMethod();
  const mpp = createMpp({
    methods: [method],
    secretKey: SECRET,
    clock: () => now,
    realm: 'api.example.com',
    ...extra,
  });
  let runs = 0;
  let status = 200;
  const handler = mpp.protect(
    { amount: '10.00', currency: 'SGD', description: 'Forecast' },
    async (req, ctx) => {
      runs++;
      if (status >= 500) return new Response('boom', { status });
      if (status >= 300 && status < 400) return new Response(null, { status });
      return Response.json(
        { ok: true, paid: ctx.payment.amount, body: req.body ? await req.text() : null },
        { status },
      );
    },
  );
  const cheap = mpp.protect({ amount: '0.01', currency: 'sgd' }, async () => Response.json({ cheap: true }));
  return {
    mpp,
    method,
    handler,
    cheap,
    runs: () => runs,
    setStatus: (s: number) => {
      status = s;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const req = (path = '/forecast/94103', init: RequestInit & { headers?: Record<string, string> } = {}) =>
  new Request(`https://api.example.com${path}`, init);

async function challengeOf(res: Response): Promise<Challenge> {
  expect(res.status).toBe(402);
  return parseChallenges(res.headers.get('www-authenticate')!)[0]!;
}

function credentialFor(
  c: Challenge,
  payload: Record<string, unknown> = { proof: 'ok-1' },
  change: Partial<Challenge> = {},
) {
  const challenge: Record<string, unknown> = { ...c, ...change };
  for (const k of Object.keys(challenge)) if (challenge[k] === undefined) delete challenge[k];
  return formatCredential({ challenge: challenge as Challenge, payload: payload as never });
}

async function problem(res: Response) {
  return (await res.json()) as { type: string; status: number; challengeId?: string };
}

describe('issuing challenges', () => {
  it('R1/R3/R16: no credential → 402, WWW-Authenticate Payment, no-store, problem+json payment-required', async () => {
    const { handler, runs } = setup();
    const res = await handler(req(), {});
    expect(res.status).toBe(402);
    expect(res.headers.get('www-authenticate')).toMatch(/^Payment /);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await problem(res);
    expect(body.type).toBe('https://paymentauth.org/problems/payment-required');
    expect(body.status).toBe(402);
    expect(runs()).toBe(0);
  });

  it('R4–R10/R13/R14: every parameter well-formed; request is JCS with minor-unit amount and lower-case currency', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    expect(c.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.realm).toBe('api.example.com');
    expect(c.method).toMatch(/^[a-z]+$/);
    expect(c.intent).toBe('charge');
    expect(c.request).toMatch(/^[A-Za-z0-9_-]+$/);
    const text = base64url.decodeText(c.request);
    expect(canonicalize(JSON.parse(text))).toBe(text);
    expect(JSON.parse(text)).toEqual({
      amount: '1000',
      currency: 'sgd',
      description: 'Forecast',
      recipient: 'acct_test',
    });
    expect(c.expires).toBe('2026-09-15T12:15:00Z');
    expect(c.description).toBe('Forecast');
    const opaque = JSON.parse(base64url.decodeText(c.opaque!));
    expect(Object.values(opaque).every((v) => typeof v === 'string')).toBe(true);
    expect(computeChallengeId(SECRET, c)).toBe(c.id);
  });

  it('R11: a request with a body gets an RFC 9530 digest of exactly that body', async () => {
    const { handler } = setup();
    const c = await challengeOf(
      await handler(req('/orders', { method: 'POST', body: '{"hello": "world"}' }), {}),
    );
    expect(c.digest).toBe(contentDigest('{"hello": "world"}'));
  });

  it('R17: issuing a 402 has no side effect (no verification, no store writes, handler not run)', async () => {
    const { handler, method, runs } = setup();
    for (let i = 0; i < 5; i++) await handler(req(), {});
    expect(method.stats.verifyCalls).toBe(0);
    expect(runs()).toBe(0);
  });

  it('R19: challenges are not sent over plain HTTP when TLS is required', async () => {
    const { handler } = setup({ requireTls: true });
    const res = await handler(new Request('http://api.example.com/forecast/1'), {});
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('-01 header: challenges can select Payment-Authorization (R54, R55)', async () => {
    const { handler } = setup({ paymentAuthorizationHeader: true });
    const c = await challengeOf(await handler(req(), {}));
    expect(c.header).toBe('Payment-Authorization');
    expect(computeChallengeId(SECRET, c)).toBe(c.id);
    expect(computeChallengeId(SECRET, { ...c, header: undefined })).not.toBe(c.id);
  });
});

describe('verifying credentials', () => {
  it('pays: 200, receipt, Cache-Control private (R42–R44); handler runs once and sees the payment', async () => {
    const { handler, runs } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const res = await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {});
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('private');
    const receipt = parseReceipt(res.headers.get('payment-receipt')!);
    expect(isSuccessReceipt(receipt)).toBe(true);
    expect(receipt).toMatchObject({ method: 'test', reference: 'test_ref_1', challengeId: c.id });
    expect(await res.json()).toMatchObject({ paid: '1000' });
    expect(runs()).toBe(1);
  });

  it('R23: malformed credentials → 402 malformed-credential with a fresh challenge', async () => {
    const { handler } = setup();
    for (const h of [
      'Payment !!!',
      'Payment e29vcHN9',
      `Payment ${base64url.encode('{"challenge":{}}')}`,
      'Payment ',
    ]) {
      const res = await handler(req('/forecast/94103', { headers: { authorization: h } }), {});
      expect(res.status).toBe(402);
      expect((await problem(res)).type).toMatch(/malformed-credential$/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Payment /);
    }
  });

  it('R24: an id never issued (or made with another secret) → invalid-challenge', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const forged = computeChallengeId('another-secret-another-secret-0000', c);
    const res = await handler(
      req('/forecast/94103', { headers: { authorization: credentialFor(c, undefined, { id: forged }) } }),
      {},
    );
    expect((await problem(res)).type).toMatch(/invalid-challenge$/);
  });

  it('R25: each bound field tampered, added or dropped → invalid-challenge', async () => {
    const { handler, runs } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const changes: Partial<Challenge>[] = [
      { realm: 'evil.example.com' },
      { method: 'other' },
      { intent: 'session' },
      { request: base64url.encode(canonicalize({ amount: '1', currency: 'sgd', recipient: 'acct_test' })) },
      { expires: '2099-01-01T00:00:00Z' },
      { digest: contentDigest('x') },
      { opaque: base64url.encode(canonicalize({ rh: 'x' })) },
      { header: 'Payment-Authorization' },
      { expires: undefined },
      { opaque: undefined },
    ];
    for (const change of changes) {
      const res = await handler(
        req('/forecast/94103', { headers: { authorization: credentialFor(c, undefined, change) } }),
        {},
      );
      const type = (await problem(res)).type;
      // Changing the method to one the route does not offer is method-unsupported (400).
      if ('method' in change || 'intent' in change) expect(type).toMatch(/method-unsupported$/);
      else expect(type, JSON.stringify(change)).toMatch(/invalid-challenge$/);
    }
    expect(runs()).toBe(0);
  });

  it('R26: expired → fresh challenge with future expiry; payment-expired (-01) / invalid-challenge (-00)', async () => {
    for (const version of ['01', '00'] as const) {
      const { handler, advance } = setup({ version });
      const c = await challengeOf(await handler(req(), {}));
      advance(16 * 60_000);
      const res = await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {});
      expect((await problem(res)).type).toMatch(version === '01' ? /payment-expired$/ : /invalid-challenge$/);
      const fresh = parseChallenges(res.headers.get('www-authenticate')!)[0]!;
      expect(Date.parse(fresh.expires!)).toBeGreaterThan(T0 + 16 * 60_000);
    }
  });

  it('R27: replay after success → invalid-challenge, no second delivery', async () => {
    const { handler, runs } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const auth = credentialFor(c);
    expect((await handler(req('/forecast/94103', { headers: { authorization: auth } }), {})).status).toBe(
      200,
    );
    const again = await handler(req('/forecast/94103', { headers: { authorization: auth } }), {});
    expect((await problem(again)).type).toMatch(/invalid-challenge$/);
    expect(runs()).toBe(1);
  });

  it('R37: identical requests in the same second get distinct challenges; the one after a replay is payable', async () => {
    const { handler } = setup();
    const a = await challengeOf(await handler(req(), {}));
    const b = await challengeOf(await handler(req(), {}));
    expect(a.id).not.toBe(b.id);
    const auth = credentialFor(a);
    expect((await handler(req('/forecast/94103', { headers: { authorization: auth } }), {})).status).toBe(
      200,
    );
    const replay = await handler(req('/forecast/94103', { headers: { authorization: auth } }), {});
    const fresh = await challengeOf(replay);
    expect(fresh.id).not.toBe(a.id);
    const paid = await handler(
      req('/forecast/94103', { headers: { authorization: credentialFor(fresh, { proof: 'ok-77' }) } }),
      {},
    );
    expect(paid.status).toBe(200);
  });

  it('R28: a consumed proof under a fresh challenge is rejected', async () => {
    const { handler, runs } = setup();
    const c1 = await challengeOf(await handler(req(), {}));
    await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c1) } }), {});
    const c2 = await challengeOf(await handler(req('/forecast/94103?x=1'), {}));
    const res = await handler(
      req('/forecast/94103?x=1', { headers: { authorization: credentialFor(c2) } }),
      {},
    );
    expect((await problem(res)).type).toMatch(/verification-failed$/);
    expect(runs()).toBe(1);
  });

  it('R29/R30/R59: invalid proof, underpayment, bad payload schema', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ proof: 'forged' }, /verification-failed$/],
      [{ proof: 'ok-9', paid: '999' }, /payment-insufficient$/],
      [{ nothing: true }, /invalid-payload$/],
    ];
    for (const [payload, type] of cases) {
      const res = await handler(
        req('/forecast/94103', { headers: { authorization: credentialFor(c, payload) } }),
        {},
      );
      expect((await problem(res)).type).toMatch(type);
    }
  });

  it('R31: a body that differs from the paid digest is rejected and the handler does not run', async () => {
    const { handler, runs } = setup();
    const c = await challengeOf(await handler(req('/orders', { method: 'POST', body: '{"qty":1}' }), {}));
    const res = await handler(
      req('/orders', { method: 'POST', body: '{"qty":1000}', headers: { authorization: credentialFor(c) } }),
      {},
    );
    expect(res.status).toBe(402);
    expect((await problem(res)).type).toMatch(/verification-failed$/);
    expect(runs()).toBe(0);
    const ok = await handler(
      req('/orders', { method: 'POST', body: '{"qty":1}', headers: { authorization: credentialFor(c) } }),
      {},
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ body: '{"qty":1}' });
  });

  it('R32: 20 concurrent copies of one credential → exactly one 2xx, one handler run, one settlement', async () => {
    const { handler, runs, method } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const auth = credentialFor(c);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        handler(req('/forecast/94103', { headers: { authorization: auth } }), {}),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 402)).toHaveLength(19);
    expect(runs()).toBe(1);
    expect(method.stats.commits).toBe(1);
  });

  it('R33: two Payment credentials → 400', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const res = await handler(
      req('/forecast/94103', {
        headers: { authorization: credentialFor(c), 'payment-authorization': credentialFor(c) },
      }),
      {},
    );
    expect(res.status).toBe(400);
    const joined = await handler(
      req('/forecast/94103', { headers: { authorization: `${credentialFor(c)}, ${credentialFor(c)}` } }),
      {},
    );
    expect(joined.status).toBe(400);
  });

  it('R36: description is not bound', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const res = await handler(
      req('/forecast/94103', {
        headers: { authorization: credentialFor(c, undefined, { description: 'changed' }) },
      }),
      {},
    );
    expect(res.status).toBe(200);
  });

  it('R40: expired or unknown ids never reach the verifier', async () => {
    const { handler, method, advance } = setup();
    const c = await challengeOf(await handler(req(), {}));
    await handler(
      req('/forecast/94103', {
        headers: { authorization: credentialFor(c, { proof: 'forged' }, { id: 'x'.repeat(43) }) },
      }),
      {},
    );
    advance(20 * 60_000);
    const res = await handler(
      req('/forecast/94103', { headers: { authorization: credentialFor(c, { proof: 'forged' }) } }),
      {},
    );
    expect((await problem(res)).type).toMatch(/payment-expired$/);
    expect(method.stats.verifyCalls).toBe(0);
  });

  it('R41: a credential for a cheap route is refused on an expensive one; a query change is refused', async () => {
    const { handler, cheap } = setup();
    const c = await challengeOf(await cheap(req('/cheap'), {}));
    const res = await handler(req('/cheap', { headers: { authorization: credentialFor(c) } }), {});
    expect((await problem(res)).type).toMatch(/invalid-challenge$/);
    const c2 = await challengeOf(await handler(req('/forecast?zip=94103'), {}));
    const other = await handler(
      req('/forecast?zip=10001', { headers: { authorization: credentialFor(c2) } }),
      {},
    );
    expect((await problem(other)).type).toMatch(/invalid-challenge$/);
  });

  it('R56/R57: the credential must arrive in the field its challenge selected; responses are never shared-cached', async () => {
    const { handler } = setup({ paymentAuthorizationHeader: true });
    const c = await challengeOf(await handler(req(), {}));
    const wrong = await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {});
    expect(wrong.status).toBe(402);
    const right = await handler(
      req('/forecast/94103', {
        headers: { authorization: 'Bearer app-token', 'payment-authorization': credentialFor(c) },
      }),
      {},
    );
    expect(right.status).toBe(200);
    expect(right.headers.get('cache-control')).toContain('private');
    const { handler: plain } = setup();
    const c2 = await challengeOf(await plain(req(), {}));
    expect(
      (await plain(req('/forecast/94103', { headers: { 'payment-authorization': credentialFor(c2) } }), {}))
        .status,
    ).toBe(402);
  });

  it('payment-action-required re-issues the same still-valid challenge with Retry-After, consuming nothing', async () => {
    const { handler, runs } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const res = await handler(
      req('/forecast/94103', { headers: { authorization: credentialFor(c, { proof: 'pending' }) } }),
      {},
    );
    expect(res.status).toBe(402);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await problem(res)).type).toMatch(/payment-action-required$/);
    expect(parseChallenges(res.headers.get('www-authenticate')!)[0]!.id).toBe(c.id);
    expect(
      (await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {})).status,
    ).toBe(200);
    expect(runs()).toBe(1);
  });

  it('upstream outage → 503 with Retry-After, no challenge consumed; a crash → 500 internal-payment-error', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const down = await handler(
      req('/forecast/94103', { headers: { authorization: credentialFor(c, { proof: 'unavailable' }) } }),
      {},
    );
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    const crash = await handler(
      req('/forecast/94103', { headers: { authorization: credentialFor(c, { proof: 'crash' }) } }),
      {},
    );
    expect(crash.status).toBe(500);
    expect((await problem(crash)).type).toMatch(/internal-payment-error$/);
    expect(
      (await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {})).status,
    ).toBe(200);
  });
});

describe('settlement', () => {
  it('R45: a handler 5xx gets no receipt and releases the payment; the same credential then works', async () => {
    const { handler, setStatus, method, runs } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const auth = credentialFor(c);
    setStatus(500);
    const failed = await handler(req('/forecast/94103', { headers: { authorization: auth } }), {});
    expect(failed.status).toBe(500);
    expect(failed.headers.get('payment-receipt')).toBeNull();
    await Promise.resolve();
    setStatus(200);
    const retry = await handler(req('/forecast/94103', { headers: { authorization: auth } }), {});
    expect(retry.status).toBe(200);
    expect(retry.headers.get('payment-receipt')).not.toBeNull();
    expect(method.stats).toMatchObject({ commits: 1, releases: 1 });
    expect(runs()).toBe(2);
  });

  it('3xx/304 are not charged (2xx only)', async () => {
    const { handler, setStatus, method } = setup();
    const c = await challengeOf(await handler(req(), {}));
    setStatus(304);
    const res = await handler(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {});
    expect(res.headers.get('payment-receipt')).toBeNull();
    expect(method.stats.releases).toBe(1);
  });

  it('a throwing handler releases the payment and rethrows', async () => {
    const method = testMethod();
    const mpp = createMpp({ methods: [method], secretKey: SECRET, realm: 'api.example.com' });
    const h = mpp.protect({ amount: '1.00', currency: 'sgd' }, async () => {
      throw new Error('handler bug');
    });
    const c = await challengeOf(await h(req(), {}));
    await expect(
      h(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {}),
    ).rejects.toThrow('handler bug');
    expect(method.stats.releases).toBe(1);
  });
});

describe('Accept-Payment in a 402 (R20–R22)', () => {
  it('filters and orders offers; malformed or unmatched keeps the full set', async () => {
    const a = testMethod({ name: 'alpha' });
    const b = testMethod({ name: 'beta' });
    const mpp = createMpp({ methods: [a, b], secretKey: SECRET });
    const h = mpp.protect({ amount: '1.00', currency: 'sgd' }, () => new Response('ok'));
    const methods = async (accept?: string) => {
      const res = await h(req('/', accept ? { headers: { 'accept-payment': accept } } : {}), {});
      return parseChallenges(res.headers.get('www-authenticate')!).map((c) => c.method);
    };
    expect(await methods()).toEqual(['alpha', 'beta']);
    expect(await methods('beta/charge, alpha/*;q=0.5')).toEqual(['beta', 'alpha']);
    expect(await methods('alpha/charge;q=0, */*')).toEqual(['beta']);
    expect(await methods('foo//bar;;q=x')).toEqual(['alpha', 'beta']);
    expect(await methods('lightning/*')).toEqual(['alpha', 'beta']);
  });
  it('R15: several challenges carry distinct ids', async () => {
    const mpp = createMpp({
      methods: [testMethod({ name: 'alpha' }), testMethod({ name: 'beta' })],
      secretKey: SECRET,
    });
    const h = mpp.protect({ amount: '1.00', currency: 'sgd' }, () => new Response('ok'));
    const res = await h(req(), {});
    const ids = parseChallenges(res.headers.get('www-authenticate')!).map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('secret rotation (R50)', () => {
  it('an unexpired challenge issued under the previous secret still verifies', async () => {
    const old = 'old-secret-old-secret-old-secret-0001';
    const next = 'new-secret-new-secret-new-secret-0002';
    const m1 = createMpp({ methods: [testMethod()], secretKey: old, realm: 'api.example.com' });
    const c = await challengeOf(
      await m1.protect({ amount: '1.00', currency: 'sgd' }, () => new Response('ok'))(req(), {}),
    );
    const m2 = createMpp({ methods: [testMethod()], secretKey: [next, old], realm: 'api.example.com' });
    const h2 = m2.protect({ amount: '1.00', currency: 'sgd' }, () => new Response('ok'));
    expect(
      (await h2(req('/forecast/94103', { headers: { authorization: credentialFor(c) } }), {})).status,
    ).toBe(200);
    const fresh = await challengeOf(await h2(req(), {}));
    expect(computeChallengeId(next, fresh)).toBe(fresh.id);
  });
});

describe('configuration fails at start-up', () => {
  it('names the option', () => {
    expect(() => createMpp({ methods: [testMethod()], secretKey: 'short' })).toThrow(/option "secretKey"/);
    expect(() => createMpp({ methods: [], secretKey: SECRET })).toThrow(/option "methods"/);
    expect(() => createMpp({ methods: [testMethod()], secretKey: SECRET, expiresIn: 1 })).toThrow(
      /option "expiresIn"/,
    );
    const mpp = createMpp({ methods: [testMethod()], secretKey: SECRET });
    expect(() => mpp.protect({ amount: '1.001', currency: 'sgd' }, () => new Response())).toThrow(
      /is invalid for test/,
    );
    expect(() => mpp.protect({ amount: '1.00', currency: 'xyz' }, () => new Response())).toThrow(
      /Unsupported currency/,
    );
    expect(() =>
      mpp.protectSavedMethod(
        { currency: 'sgd', maxAmountPerCharge: '1', totalAmountCap: '2', perCallAmount: '1' },
        () => new Response(),
      ),
    ).toThrow(/no payment method/);
  });
});

describe('secrets never leak (R48, R49)', () => {
  it('no response carries the credential or the secret', async () => {
    const { handler } = setup();
    const c = await challengeOf(await handler(req(), {}));
    const auth = credentialFor(c, { proof: 'forged' });
    const res = await handler(req('/forecast/94103', { headers: { authorization: auth } }), {});
    const text = [...res.headers.values()].join('\n') + (await res.text());
    expect(text).not.toContain(auth.slice(8));
    expect(text).not.toContain(SECRET);
  });
});

describe('CORS', () => {
  it('cross-origin 402s and receipts expose the payment headers; the app’s own list is extended', async () => {
    const mpp = createMpp({ methods: [testMethod()], secretKey: SECRET, realm: 'api.example.com' });
    const h = mpp.protect(
      { amount: '1.00', currency: 'sgd' },
      () => new Response('ok', { headers: { 'access-control-expose-headers': 'X-Request-Id' } }),
    );
    const first = await h(req('/forecast/94103', { headers: { origin: 'https://app.example' } }), {});
    expect(first.headers.get('access-control-expose-headers')).toBe(
      'WWW-Authenticate, Payment-Receipt, Retry-After',
    );
    const c = await challengeOf(first);
    const paid = await h(
      req('/forecast/94103', { headers: { origin: 'https://app.example', authorization: credentialFor(c) } }),
      {},
    );
    expect(paid.headers.get('access-control-expose-headers')).toBe(
      'X-Request-Id, WWW-Authenticate, Payment-Receipt, Retry-After',
    );
    const sameOrigin = await h(req(), {});
    expect(sameOrigin.headers.get('access-control-expose-headers')).toBeNull();
  });
});

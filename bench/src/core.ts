/**
 * Section 1, core in one process: ours and mppx 0.11 interleaved (a, b, c, a, b, c, …) so machine
 * drift hits both alike. Three groups: the 402 path, the paid path, and the primitives (JCS, HMAC,
 * Ed25519), each with the node:crypto floor beside it.
 */
import { createHmac, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { createMpp, type PassDecision, type PaymentMethod, type Verification } from '@hit-pay/mpp';
import { canonicalize, challengeIdInput, computeChallengeId } from '@hit-pay/mpp/protocol';
import { generateSigningKey, type ReceiptClaims, signReceipt, verifyReceipt } from '@hit-pay/mpp/receipts';
import { testMethod } from '@hit-pay/mpp/testing';
import { SignJWT } from 'jose';
import { benchEngine, engineRequest, noopMethod, PRICE, pregenerate, REALM, SECRET } from './fixtures.js';
import {
  mppxCanonicalize,
  mppxChallengeHmac,
  mppxPregenerate,
  mppxServe,
  mppxServer,
  oxEd25519,
  url,
} from './mppx-baseline.js';
import { interleave, type Sample } from './stats.js';

export interface CoreResults {
  rounds: number;
  perRound: Record<string, number>;
  samples: Record<string, Sample>;
}

/** A typical challenge `request` object (a one-time HitPay charge). */
export const TYPICAL_REQUEST = {
  amount: '100',
  currency: 'sgd',
  description: 'Forecast for 94103',
  methodDetails: {
    broker: 'https://api.example.com/mpp',
    merchant: 'm_4nq2Hk9Lr0xWc7ZpQe1sTb',
    display_amount: 'SGD 1.00',
    rails: ['paynow_online', 'card'],
  },
};

const ID_PARAMS = {
  realm: REALM,
  method: 'hitpay',
  intent: 'charge',
  request: Buffer.from(canonicalize(TYPICAL_REQUEST)).toString('base64url'),
  expires: '2026-01-01T00:15:00Z',
  opaque: 'eyJuIjoiQUJDREVGR0hJSktMMSIsInJoIjoiNDNjaGFyYWN0ZXJzLW9mLWJhc2U2NHVybC1yZXF1ZXN0LWhhc2gifQ',
};
const ID_INPUT = challengeIdInput(ID_PARAMS);
const SECRET_BYTES = new TextEncoder().encode(SECRET);

/** Receipt claims as the broker signs them after a redemption. */
const CLAIMS: ReceiptClaims = {
  status: 'success',
  method: 'hitpay',
  reference: 'pay_9f2c1d7e-5b4a-4c3e-8f21-0a9b8c7d6e5f',
  challengeId: 'tOI3gWirBAreKiZ5gq4UqzB9qu1JmwkR8BGHMI36Sh8',
  amount: '100',
  currency: 'sgd',
  requestHash: 'fK3m0vJb1Qw8aX2sY7rT5uN9pL4cE6hG0dZ1iO3kM8w',
  merchant: 'm_4nq2Hk9Lr0xWc7ZpQe1sTb',
};
const ISSUER = 'urn:hit-pay:mpp-broker:bench';

/** The `test` method with one Ed25519 receipt JWS per payment, signed as the broker signs it. */
function signingTestMethod(key: Awaited<ReturnType<typeof generateSigningKey>>): PaymentMethod {
  const inner = testMethod({ name: 'test' });
  return {
    ...inner,
    compile(route) {
      const r = inner.compile(route);
      if (!r) return undefined;
      return {
        ...r,
        async verify(ctx): Promise<Verification> {
          const v = await r.verify(ctx);
          const jws = await signReceipt({ ...CLAIMS, challengeId: ctx.challenge.id }, key, {
            issuer: ISSUER,
            audience: ctx.realm,
          });
          return { ...v, receipt: { jws } };
        },
      };
    },
  };
}

export async function runCore(quick = false): Promise<CoreResults> {
  const rounds = quick ? 3 : 7;
  const per = {
    path402: quick ? 2000 : 5000,
    paid: quick ? 1000 : 2000,
    prim: quick ? 5000 : 20_000,
    ed: quick ? 300 : 1000,
  };
  const need = (n: number) => (rounds + 1) * n;
  const key = await generateSigningKey('bench');
  const nodeKey = KeyObject.from(key.privateKey);
  const nodePub = createPublicKey({ key: key.publicJwk as never, format: 'jwk' });
  const ox = oxEd25519();

  // --- 402 path -----------------------------------------------------------------------------------
  const e402 = benchEngine();
  const req402 = engineRequest();
  const fetchOurs = createMpp({
    methods: [testMethod()],
    secretKey: SECRET,
    realm: REALM,
    requireTls: false,
  });
  const handle402 = fetchOurs.protect<object>({ ...PRICE }, async () => Response.json({ forecast: 'sunny' }));
  const request402 = new Request(url);
  const mppx402 = mppxServer().handler;
  const samples402 = await interleave(
    {
      'ours.engine.402': { fn: () => e402.engine.decide(req402, e402.route) },
      'ours.fetch.402': { fn: () => handle402(request402, {}) },
      'mppx.fetch.402': { fn: () => mppxServe(mppx402, request402) },
      'floor.hmac': { fn: () => createHmac('sha256', SECRET_BYTES).update(ID_INPUT).digest() },
      'baseline.request+response': { fn: () => new Response(new Request(url).url) },
    },
    { rounds, perRound: per.path402 },
  );

  // --- paid path ----------------------------------------------------------------------------------
  const n = need(per.paid);
  const engineCase = async (method: PaymentMethod) => {
    const be = benchEngine(method);
    const reqs = (await pregenerate(be, n)).map((c) => engineRequest(undefined, c));
    return async (i: number) => {
      const d = (await be.engine.decide(reqs[i]!, be.route)) as PassDecision;
      if (d.kind !== 'pass') throw new Error(`expected pass, got ${JSON.stringify(d)}`);
      d.finalize(200);
    };
  };
  const fetchCase = async (method: PaymentMethod) => {
    const mpp = createMpp({ methods: [method], secretKey: SECRET, realm: REALM, requireTls: false });
    const h = mpp.protect<object>({ ...PRICE }, async () => Response.json({ forecast: 'sunny' }));
    const reqs = (await pregenerate({ engine: mpp.engine, route: mpp.engine.route({ ...PRICE }) }, n)).map(
      (authorization) => new Request(url, { headers: { authorization } }),
    );
    return async (i: number) => {
      const res = await h(reqs[i]!, {});
      if (res.status !== 200) throw new Error(`expected 200, got ${res.status}`);
    };
  };
  const mppxPaid = mppxServer().handler;
  const mppxReqs = await mppxPregenerate(mppxPaid, n);
  const signingInput = new TextEncoder().encode(ID_INPUT.repeat(2).slice(0, 420));
  const cases = {
    'ours.engine.paid.test': { fn: await engineCase(testMethod()) },
    'ours.engine.paid.noop': { fn: await engineCase(noopMethod()) },
    'ours.engine.paid.test+sig': { fn: await engineCase(signingTestMethod(key)) },
    'ours.fetch.paid.test': { fn: await fetchCase(testMethod()) },
    'ours.fetch.paid.noop': { fn: await fetchCase(noopMethod()) },
    'mppx.fetch.paid.noop': {
      fn: async (i: number) => {
        const res = await mppxServe(mppxPaid, mppxReqs[i]!);
        if (res.status !== 200) throw new Error(`mppx answered ${res.status}`);
      },
    },
    'floor.hmac+ed25519': {
      fn: () => {
        createHmac('sha256', SECRET_BYTES).update(ID_INPUT).digest();
        sign(null, signingInput, nodeKey);
      },
    },
  };
  const samplesPaid = await interleave(cases, { rounds, perRound: per.paid });

  // --- primitives ---------------------------------------------------------------------------------
  const token = await signReceipt(CLAIMS, key, { issuer: ISSUER, audience: REALM });
  const fixed = await signReceipt(CLAIMS, key, { issuer: ISSUER, audience: REALM, now: 1_800_000_000_000 });
  // Core signs with node:crypto when it can; the token must be the one jose writes, byte for byte.
  const reference = await new SignJWT({ ...CLAIMS })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'mpp-receipt+jwt', kid: key.kid })
    .setIssuer(ISSUER)
    .setIssuedAt(1_800_000_000)
    .setAudience(REALM)
    .sign(key.privateKey);
  if (fixed !== reference) throw new Error('signReceipt differs from jose for the same claims and key');
  const jwsInput = new TextEncoder().encode(token.slice(0, token.lastIndexOf('.')));
  const nodeSig = sign(null, jwsInput, nodeKey);
  const oxSig = ox.sign(jwsInput);
  const jwks = { keys: [key.publicJwk] };
  const samplesFast = await interleave(
    {
      'ours.jcs': { fn: () => canonicalize(TYPICAL_REQUEST) },
      'mppx.jcs': { fn: () => mppxCanonicalize(TYPICAL_REQUEST) },
      'ours.hmac': { fn: () => computeChallengeId(SECRET_BYTES, ID_PARAMS) },
      'mppx.hmac': { fn: () => mppxChallengeHmac(ID_INPUT) },
      'floor.hmac.id': { fn: () => createHmac('sha256', SECRET_BYTES).update(ID_INPUT).digest() },
    },
    { rounds, perRound: per.prim },
  );
  const samplesEd = await interleave(
    {
      'ours.ed25519.sign': { fn: () => signReceipt(CLAIMS, key, { issuer: ISSUER, audience: REALM }) },
      'mppx.ed25519.sign': { fn: () => ox.sign(jwsInput) },
      'floor.ed25519.sign': { fn: () => sign(null, jwsInput, nodeKey) },
      'ours.ed25519.verify': { fn: () => verifyReceipt(token, jwks, { audience: REALM }) },
      'mppx.ed25519.verify': { fn: () => ox.verify(jwsInput, oxSig) },
      'floor.ed25519.verify': { fn: () => verify(null, jwsInput, nodePub, nodeSig) },
    },
    { rounds, perRound: per.ed },
  );
  return {
    rounds,
    perRound: { '402': per.path402, paid: per.paid, 'jcs/hmac': per.prim, ed25519: per.ed },
    samples: { ...samples402, ...samplesPaid, ...samplesFast, ...samplesEd },
  };
}

/**
 * Writes hitpay-charge.json and hitpay-save.json from the fixed fixture. Run it only when the
 * drafts change on purpose: `npx tsx --conditions=@hit-pay/source core/test/vectors/generate-hitpay.ts`.
 */
import { writeFileSync } from 'node:fs';
import { requestHash } from '../../src/binding/request-hash.js';
import { base64url, formatCredential, formatReceipt, parseChallenges } from '../../src/protocol/index.js';
import { importSigningKey, signGrant, signReceipt } from '../../src/receipts/index.js';
import { FIXTURE, get, merchantId, vectorEngine } from './hitpay-fixture.js';

const engine = vectorEngine();
const key = await importSigningKey(FIXTURE.signingJwk);
const challengeOf = async (target: string, route: Parameters<typeof engine.route>[0]) => {
  const d = await engine.decide(get(target), engine.route(route));
  if (d.kind !== 'respond') throw new Error('expected a 402');
  const header = d.headers.find(([n]) => n === 'www-authenticate')![1];
  return { header, challenge: parseChallenges(header)[0]!, body: JSON.parse(String(d.body)) };
};

const charge = await challengeOf('/forecast/94103', {
  amount: '1.00',
  currency: 'sgd',
  description: 'Forecast',
});
const chargeCredential = formatCredential({
  challenge: charge.challenge,
  payload: { payment_request_id: '9ef68e2e-3569-4f69-9f68-04c7e4bb007c' },
});
const receiptClaims = {
  status: 'success' as const,
  method: 'hitpay',
  reference: '90f3459d-1f07-4127-8d68-691b0b239207',
  challengeId: charge.challenge.id,
  amount: '100',
  currency: 'sgd',
  requestHash: requestHash({ method: 'GET', target: '/forecast/94103' }),
  merchant: merchantId,
};
const receiptJws = await signReceipt(receiptClaims, key, {
  issuer: FIXTURE.broker,
  audience: FIXTURE.realm,
  now: FIXTURE.now,
});
writeFileSync(
  new URL('./hitpay-charge.json', import.meta.url),
  `${JSON.stringify(
    {
      description:
        'draft-hitpay-charge-00 vectors: fixture in hitpay-fixture.ts (secret, clock, nonce, merchant, broker, RFC 8037 Ed25519 key).',
      request: {
        method: 'GET',
        target: '/forecast/94103',
        price: { amount: '1.00', currency: 'sgd', description: 'Forecast' },
      },
      requestObject: JSON.parse(base64url.decodeText(charge.challenge.request)),
      opaque: JSON.parse(base64url.decodeText(charge.challenge.opaque!)),
      challengeHeader: charge.header,
      problemBody: charge.body,
      credentialHeader: chargeCredential,
      receiptClaims,
      receiptJws,
      receiptHeader: formatReceipt({
        status: 'success',
        method: 'hitpay',
        timestamp: '2026-09-15T12:00:00Z',
        reference: receiptClaims.reference,
        challengeId: charge.challenge.id,
        jws: receiptJws,
      }),
    },
    null,
    2,
  )}\n`,
);

const saved = await challengeOf('/forecast/94103/hourly', {
  savedMethod: {
    currency: 'sgd',
    perCallAmount: '0.50',
    maxAmountPerCharge: '1.00',
    totalAmountCap: '10.00',
    description: 'Hourly forecast',
  },
});
const grantClaims = {
  sub: 'spm_vectorSavedMethod01',
  jti: 'grant_vector_0001',
  merchant: merchantId,
  realm: FIXTURE.realm,
  rail: 'grabpay_direct',
  currency: 'sgd',
  maxAmountPerCharge: '100',
  totalAmountCap: '1000',
};
const grantJws = await signGrant(grantClaims, key, {
  issuer: FIXTURE.broker,
  audience: FIXTURE.realm,
  now: FIXTURE.now,
  expiresIn: 30 * 86_400,
});
const savedHash = requestHash({ method: 'GET', target: '/forecast/94103/hourly' });
writeFileSync(
  new URL('./hitpay-save.json', import.meta.url),
  `${JSON.stringify(
    {
      description: 'draft-hitpay-saved-method-00 vectors: fixture in hitpay-fixture.ts.',
      request: { method: 'GET', target: '/forecast/94103/hourly' },
      requestObject: JSON.parse(base64url.decodeText(saved.challenge.request)),
      challengeHeader: saved.header,
      grantClaims,
      grantJws,
      requestHash: savedHash,
      credentialHeader: formatCredential({
        challenge: saved.challenge,
        payload: { grant: grantJws, nonce: 'nonce_0123456789abcdef', request_hash: savedHash },
      }),
    },
    null,
    2,
  )}\n`,
);
console.log('wrote hitpay-charge.json and hitpay-save.json');

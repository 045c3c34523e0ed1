import { createHmac, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURE, get, vectorEngine } from '../../test/vectors/hitpay-fixture.js';
import { requestHash } from '../binding/request-hash.js';
import {
  base64url,
  challengeIdInput,
  parseChallenges,
  parseCredential,
  parseReceipt,
} from '../protocol/index.js';
import { GRANT_TYP, RECEIPT_TYP, verifyGrant, verifyReceipt } from '../receipts/index.js';

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../test/vectors/${name}`, import.meta.url), 'utf8'));
const charge = load('hitpay-charge.json');
const saved = load('hitpay-save.json');
const jwks = {
  keys: [{ kty: 'OKP', crv: 'Ed25519', x: FIXTURE.signingJwk.x, kid: FIXTURE.signingJwk.kid, alg: 'EdDSA' }],
};

/** Ed25519 check with node:crypto alone (independent of jose). */
function ed25519Valid(jws: string): boolean {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: FIXTURE.signingJwk.x },
    format: 'jwk',
  });
  return verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
}

async function challengeHeader(
  target: string,
  route: Parameters<ReturnType<typeof vectorEngine>['route']>[0],
) {
  const engine = vectorEngine();
  const d = await engine.decide(get(target), engine.route(route));
  if (d.kind !== 'respond') throw new Error('expected 402');
  return { header: d.headers.find(([n]) => n === 'www-authenticate')![1], body: JSON.parse(String(d.body)) };
}

describe('draft-hitpay-charge-00 vectors', () => {
  it('§2: the challenge of the fixture is byte for byte the vector', async () => {
    const { header, body } = await challengeHeader(charge.request.target, charge.request.price);
    expect(header).toBe(charge.challengeHeader);
    expect(body).toEqual(charge.problemBody);
  });
  it('§2.1–2.2: request in minor units with methodDetails; opaque binds the request hash; id is the 7-slot HMAC', () => {
    const c = parseChallenges(charge.challengeHeader)[0]!;
    expect(JSON.parse(base64url.decodeText(c.request))).toEqual(charge.requestObject);
    expect(charge.requestObject).toMatchObject({
      amount: '100',
      currency: 'sgd',
      methodDetails: { display_amount: 'SGD 1.00', rails: ['paynow_online'] },
    });
    expect(charge.opaque.rh).toBe(requestHash({ method: 'GET', target: charge.request.target }));
    const id = createHmac('sha256', FIXTURE.secret).update(challengeIdInput(c)).digest('base64url');
    expect(id).toBe(c.id);
  });
  it('§3: the 402 body carries checkout and polling links derived from the challenge', () => {
    const c = parseChallenges(charge.challengeHeader)[0]!;
    const details = charge.problemBody.challenges[0];
    expect(details.polling_url).toBe(`${FIXTURE.broker}/v1/charges/${c.id}`);
    const token = details.checkout_url.slice(`${FIXTURE.broker}/v1/checkout/`.length);
    expect(JSON.parse(base64url.decodeText(token))).toEqual(c);
  });
  it('§4: the credential echoes the challenge and names the payment request', () => {
    const cred = parseCredential(charge.credentialHeader);
    expect(cred.challenge).toEqual(parseChallenges(charge.challengeHeader)[0]);
    expect(cred.payload).toEqual({ payment_request_id: '9ef68e2e-3569-4f69-9f68-04c7e4bb007c' });
  });
  it('§7: the receipt JWS verifies (jose and node:crypto) with typ mpp-receipt+jwt and the listed claims', async () => {
    expect(ed25519Valid(charge.receiptJws)).toBe(true);
    const header = JSON.parse(base64url.decodeText(charge.receiptJws.split('.')[0]));
    expect(header).toEqual({ alg: 'EdDSA', typ: RECEIPT_TYP, kid: 'vector-key-1' });
    const claims = await verifyReceipt(charge.receiptJws, jwks, {
      audience: FIXTURE.realm,
      now: FIXTURE.now,
    });
    expect(claims).toMatchObject({ ...charge.receiptClaims, iss: FIXTURE.broker, aud: FIXTURE.realm });
    const receipt = parseReceipt(charge.receiptHeader);
    expect(receipt).toMatchObject({
      status: 'success',
      method: 'hitpay',
      reference: charge.receiptClaims.reference,
      jws: charge.receiptJws,
    });
  });
});

describe('draft-hitpay-saved-method-00 vectors', () => {
  it('§2: the reusable challenge has no opaque and no digest, and is the vector', async () => {
    const { header } = await challengeHeader(saved.request.target, {
      savedMethod: {
        currency: 'sgd',
        perCallAmount: '0.50',
        maxAmountPerCharge: '1.00',
        totalAmountCap: '10.00',
        description: 'Hourly forecast',
      },
    });
    expect(header).toBe(saved.challengeHeader);
    const c = parseChallenges(header)[0]!;
    expect(c.opaque).toBeUndefined();
    expect(c.digest).toBeUndefined();
    expect(saved.requestObject).toMatchObject({
      amount: '50',
      methodDetails: {
        max_amount_per_charge: '100',
        total_amount_cap: '1000',
        rails: ['grabpay_direct', 'shopee_pay'],
      },
    });
  });
  it('§5: the grant verifies with typ mpp-spm+jwt and carries the scope claims; it never passes as a receipt', async () => {
    expect(ed25519Valid(saved.grantJws)).toBe(true);
    const claims = await verifyGrant(saved.grantJws, jwks, { now: FIXTURE.now });
    expect(claims).toMatchObject({ ...saved.grantClaims, exp: FIXTURE.now / 1000 + 30 * 86_400 });
    expect(JSON.parse(base64url.decodeText(saved.grantJws.split('.')[0])).typ).toBe(GRANT_TYP);
    await expect(verifyReceipt(saved.grantJws, jwks, { now: FIXTURE.now })).rejects.toMatchObject({
      code: 'receipt-invalid',
    });
  });
  it('§4: the credential carries grant, nonce and the request hash of the request it pays', () => {
    const cred = parseCredential(saved.credentialHeader);
    expect(cred.payload).toEqual({
      grant: saved.grantJws,
      nonce: 'nonce_0123456789abcdef',
      request_hash: saved.requestHash,
    });
    expect(saved.requestHash).toBe(requestHash({ method: 'GET', target: saved.request.target }));
  });
});

/**
 * Every comparison of a secret (or of a value derived from one) goes through
 * `crypto.timingSafeEqual` on buffers of equal length. `crypto.timingSafeEqual` is wrapped for the
 * duration of each test (the CommonJS export core reaches through `process.getBuiltinModule`, and
 * the ES named export the broker imports, re-synced with `syncBuiltinESMExports`), and each call is
 * attributed to its comparison site by the caller's file in the stack.
 *
 * Sites: the challenge-id HMAC in the gate; the body digest in the gate; `digestMatches`; the
 * challenge HMAC at the broker (checkout, setup); webhook v1 `hmac` and v2 `Hitpay-Signature`; the
 * setup token. Not sites, by design (tested as such): API keys (never compared: the merchant id is
 * a hash of the key, looked up), sealed values (AES-GCM's tag is checked inside OpenSSL), JWS
 * receipts and grants (Ed25519 signature verification, no comparison).
 */
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { createMpp, merchantIdFor } from '@hit-pay/mpp';
import { computeChallengeId, contentDigest, digestMatches, formatCredential } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';
import { signV1, signV2 } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeOf, credentialFor, openCheckout, saveWallet } from './support/pay.ts';
import { startWorld, type World } from './support/world.ts';

interface Call {
  a: number;
  b: number;
  stack: string;
}

/** Runs `fn` with `crypto.timingSafeEqual` recorded; returns the calls. */
async function recorded(fn: () => unknown): Promise<Call[]> {
  const calls: Call[] = [];
  const original = crypto.timingSafeEqual;
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.push({ a: a.byteLength, b: b.byteLength, stack: new Error().stack ?? '' });
    return original(a, b);
  }) as typeof crypto.timingSafeEqual;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    crypto.timingSafeEqual = original;
    syncBuiltinESMExports();
  }
  return calls;
}

const from = (calls: Call[], file: RegExp) => calls.filter((c) => file.test(c.stack));
const equalLengths = (calls: Call[]) => calls.every((c) => c.a === c.b);

const OLD = 'timing-old-secret-0123456789abcdefghijklmnop';
const NEW = 'timing-new-secret-0123456789abcdefghijklmnop';

describe('core', () => {
  const method = testMethod();
  const mpp = createMpp({
    methods: [method],
    secretKey: [NEW, OLD],
    realm: 'timing.example',
    requireTls: false,
  });
  const paid = mpp.protect<unknown>({ amount: '1.00', currency: 'sgd' }, () => new Response('ok'));
  const issue = async (init: RequestInit = {}) => {
    const res = await paid(new Request('http://timing.example/x', init), {});
    return challengeOf(res, 'test');
  };

  it('gate: the challenge id is checked against every secret in constant time (43-byte buffers, no early exit)', async () => {
    const c = await issue();
    // A challenge signed with the old (rotated) secret: both secrets are tried.
    const { id: _id, ...params } = c;
    const old = { ...c, id: computeChallengeId(OLD, params) };
    let status = 0;
    const calls = await recorded(async () => {
      status = (
        await paid(
          new Request('http://timing.example/x', {
            headers: {
              authorization: formatCredential({ challenge: old as never, payload: { proof: 'ok-1' } }),
            },
          }),
          {},
        )
      ).status;
    });
    expect(status).toBe(200);
    const gate = from(calls, /engine\/gate\.ts/);
    expect(gate.length).toBe(2);
    expect(gate.every((x) => x.a === 43)).toBe(true);
    expect(equalLengths(calls)).toBe(true);
    // An id of another length is refused without a comparison (the length of an HMAC is public).
    const short = await recorded(() =>
      paid(
        new Request('http://timing.example/x', {
          headers: {
            authorization: formatCredential({
              challenge: { ...c, id: 'short' } as never,
              payload: { proof: 'ok-2' },
            }),
          },
        }),
        {},
      ),
    );
    expect(from(short, /engine\/gate\.ts/)).toEqual([]);
  });

  it('gate: the body digest is compared in constant time', async () => {
    const body = '{"order":1}';
    const c = await issue({ method: 'POST', body });
    const calls = await recorded(() =>
      paid(
        new Request('http://timing.example/x', {
          method: 'POST',
          body,
          headers: { authorization: formatCredential({ challenge: c as never, payload: { proof: 'ok-3' } }) },
        }),
        {},
      ),
    );
    const digests = from(calls, /engine\/gate\.ts/).filter((x) => x.a === contentDigest(body).length);
    expect(digests.length).toBe(1);
    expect(equalLengths(calls)).toBe(true);
  });

  it('digestMatches compares SHA-256 digests in constant time', async () => {
    const calls = await recorded(async () => {
      expect(digestMatches(contentDigest('abc'), 'abc')).toBe(true);
      expect(digestMatches(contentDigest('abc'), 'abd')).toBe(false);
    });
    expect(from(calls, /protocol\/digest\.ts/).map((x) => [x.a, x.b])).toEqual([
      [32, 32],
      [32, 32],
    ]);
  });
});

describe('broker', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ engine: { secretKey: [NEW, OLD] } });
  });
  afterAll(async () => {
    await w?.close();
  });

  it("checkout: the challenge HMAC is compared in constant time against each of the merchant's secrets", async () => {
    const res = await fetch(`${w.api.url}/forecast/1`);
    await res.arrayBuffer();
    const c = challengeOf(res);
    const calls = await recorded(() => openCheckout(w, c));
    const broker = from(calls, /broker\/src\/challenges\.ts/);
    expect(broker.length).toBe(2);
    expect(broker.every((x) => x.a === 32 && x.b === 32)).toBe(true);
    expect(equalLengths(calls)).toBe(true);
  });

  it('webhooks: v1 hmac and v2 signature are compared in constant time (64 hex characters)', async () => {
    const v2 = JSON.stringify({ id: 'nope', status: 'completed' });
    const fields = { payment_request_id: 'nope', status: 'completed', reference_number: 'x' };
    const calls = await recorded(async () => {
      for (const signature of [signV2(v2, w.webhookSalt), signV2(v2, 'wrong')]) {
        await fetch(`${w.api.url}/mpp/v1/webhook/hitpay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'hitpay-signature': signature },
          body: v2,
        });
      }
      for (const hmac of [signV1(fields, w.apiSalt), signV1(fields, 'wrong')]) {
        await fetch(`${w.api.url}/mpp/v1/webhook/hitpay/${merchantIdFor(w.apiKey)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ ...fields, hmac }).toString(),
        });
      }
    });
    const hooks = from(calls, /hitpay\/webhooks\.ts/);
    expect(hooks.length).toBe(4);
    expect(hooks.every((x) => x.a === 64 && x.b === 64)).toBe(true);
    // A signature of another length never reaches a comparison.
    const odd = await recorded(() =>
      fetch(`${w.api.url}/mpp/v1/webhook/hitpay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'hitpay-signature': 'abc' },
        body: v2,
      }),
    );
    expect(from(odd, /hitpay\/webhooks\.ts/)).toEqual([]);
  });

  it('setup: the setup token is compared in constant time (SHA-256 of both sides)', async () => {
    const g = await saveWallet(w, '/hourly/1');
    const calls = await recorded(async () => {
      for (const token of [g.setupToken, `${g.setupToken}x`, 'short']) {
        await fetch(g.pollingUrl, { headers: { 'x-setup-token': token } });
      }
    });
    const tokens = from(calls, /broker\/src\/tokens\.ts/);
    expect(tokens.length).toBe(3);
    expect(tokens.every((x) => x.a === 32 && x.b === 32)).toBe(true);
  });

  it('API keys are never compared: the merchant id is a hash of the key, and it is looked up', async () => {
    const key = w.apiKey;
    expect(merchantIdFor(key)).not.toBe(merchantIdFor(`${key.slice(0, -1)}x`));
    expect(merchantIdFor(key)).not.toContain(key);
    const calls = await recorded(async () => {
      const res = await w.broker.fetch(
        new Request('http://broker.local/v1/health', { headers: { authorization: `Bearer ${key}` } }),
      );
      expect(res.status).toBe(200);
    });
    expect(from(calls, /broker\/src/)).toEqual([]);
  });

  it('sealed values: a tampered API key at rest is refused (AES-GCM tag), never used', async () => {
    const { rows } = await w.broker.database.query<{ api_key_enc: string }>(
      'SELECT api_key_enc FROM merchants LIMIT 1',
    );
    const sealed = rows[0]!.api_key_enc;
    const [v, iv, body] = sealed.split('.') as [string, string, string];
    const raw = Buffer.from(body, 'base64url');
    raw[0] = raw[0]! ^ 1;
    const { SealedBox } = await import('../broker/src/keys/sealed-box.ts');
    const box = new SealedBox('security-broker-sealing-secret-0123456789abcdef');
    expect(box.open(sealed)).toBe(w.apiKey);
    expect(() => box.open(`${v}.${iv}.${raw.toString('base64url')}`)).toThrow(/cannot be opened/);
  });

  it('no other comparison site: a whole paid flow calls timingSafeEqual only from the sites above', async () => {
    const calls = await recorded(async () => {
      const res = await fetch(`${w.api.url}/report/2`);
      await res.arrayBuffer();
      const c = challengeOf(res);
      const view = await openCheckout(w, c);
      w.sandbox.pay(view.payment_request_id);
      await w.sandbox.webhooksIdle();
      const ok = await fetch(`${w.api.url}/report/2`, {
        headers: { authorization: credentialFor(c, { payment_request_id: view.payment_request_id }) },
      });
      expect(ok.status).toBe(200);
      await ok.arrayBuffer();
    });
    const sites =
      /engine\/gate\.ts|broker\/src\/challenges\.ts|hitpay\/webhooks\.ts|broker\/src\/tokens\.ts|protocol\/digest\.ts/;
    expect(calls.filter((c) => !sites.test(c.stack))).toEqual([]);
    expect(equalLengths(calls)).toBe(true);
  });
});

/**
 * The fixed inputs of the hitpay / hitpay-save vectors (docs/spec/draft-hitpay-*-00.md §Vectors):
 * secret, clock, nonce, merchant, broker URL, and an Ed25519 key. Shared by the generator and the
 * test that replays the vectors.
 */
import { MppEngine } from '../../src/engine/engine.js';
import type { MppRequest } from '../../src/engine/types.js';
import { hitpayMethod } from '../../src/methods/hitpay.js';
import { hitpaySaveMethod } from '../../src/methods/hitpay-save.js';
import { merchantIdFor } from '../../src/methods/merchant.js';

export const FIXTURE = {
  secret: 'hitpay-vector-secret-0123456789abcdef01',
  now: Date.UTC(2026, 8, 15, 12, 0, 0),
  nonce: 'vectornonce0001',
  apiKey: 'test_vector_api_key',
  broker: 'https://api.example.com/mpp',
  realm: 'api.example.com',
  /** RFC 8037 §A.1's Ed25519 test key, with a kid. */
  signingJwk: {
    kty: 'OKP',
    crv: 'Ed25519',
    d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
    x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    kid: 'vector-key-1',
  },
} as const;

export const merchantId = merchantIdFor(FIXTURE.apiKey);

/** An engine with both HitPay methods and everything fixed (the broker is never called here). */
export function vectorEngine(): MppEngine {
  const host = {
    merchantId,
    broker: () => Promise.reject(new Error('vectors never reach the broker')),
    brokerUrl: () => FIXTURE.broker,
  };
  return new MppEngine({
    methods: [
      hitpayMethod(host),
      hitpaySaveMethod({ ...host, grantKeys: () => Promise.reject(new Error('offline')) }),
    ],
    secretKey: FIXTURE.secret,
    realm: FIXTURE.realm,
    clock: () => FIXTURE.now,
    challengeNonce: () => FIXTURE.nonce,
    requireTls: false,
  });
}

/** A bodiless GET as the engine sees it. */
export function get(target: string, headers: Record<string, string> = {}): MppRequest {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'GET',
    target,
    headers: { get: (n) => h.get(n.toLowerCase()) ?? null },
    header: (n) => h.get(n),
    headerLines: (n) => (h.has(n) ? [h.get(n)!] : []),
    hasBody: false,
    body: async () => undefined,
    protocol: 'https',
    host: FIXTURE.realm,
  };
}

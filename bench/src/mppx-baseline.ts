/**
 * The mppx 0.11 side of the comparison, set up as `research/mppx.md` §4 measured it: a no-op method
 * made with `Method.from` + `Method.toServer` (verify returns a receipt at once), a fixed realm, the
 * README's `mppx.charge(options)(request)` handler. Also the primitives mppx itself runs: `ox`'s JCS,
 * HMAC (the three calls of mppx's internal `computeId`) and Ed25519 (mppx signs no receipts; `ox`
 * is its crypto library, resolved from the same node_modules copy mppx imports).
 */
import { Challenge, Credential, Method, Receipt, z } from 'mppx';
import { Mppx } from 'mppx/server';
import { Base64, Bytes, Ed25519, Hash, Json } from 'ox';
import { PRICE, REALM, SECRET, TARGET } from './fixtures.js';

export const MPPX_VERSION = '0.11.0';

const noop = Method.from({
  name: 'noop',
  intent: 'charge',
  schema: {
    credential: { payload: z.object({ proof: z.string() }) },
    request: z.object({ amount: z.string(), currency: z.string(), recipient: z.string() }),
  },
});

const noopServer = Method.toServer(noop, {
  async verify({ credential }) {
    return Receipt.from({
      method: 'noop',
      reference: `ref_${credential.payload.proof}`,
      status: 'success',
      timestamp: new Date().toISOString(),
    });
  },
});

export type MppxHandler = (
  request: Request,
) => Promise<{ status: 402; challenge: Response } | { status: 200; withReceipt: (r: Response) => Response }>;

/** A fresh mppx server and the README-style handler of the static-price route. */
export function mppxServer(): { handler: MppxHandler } {
  const mppx = Mppx.create({ methods: [noopServer], secretKey: SECRET, realm: REALM });
  const handler = mppx.charge({
    amount: '100',
    currency: 'sgd',
    recipient: 'acct_test',
    description: PRICE.description,
  }) as unknown as MppxHandler;
  return { handler };
}

export const url = `https://${REALM}${TARGET}`;

/** The whole request as an app runs it: 402 → the challenge Response; paid → `withReceipt(json)`. */
export async function mppxServe(handler: MppxHandler, request: Request): Promise<Response> {
  const r = await handler(request);
  if (r.status === 402) return r.challenge;
  return r.withReceipt(Response.json({ forecast: 'sunny' }));
}

let proofs = 0;
/** `n` paid requests for mppx: each a genuine challenge from `handler`, with a fresh proof. */
export async function mppxPregenerate(handler: MppxHandler, n: number): Promise<Request[]> {
  const out: Request[] = [];
  for (let i = 0; i < n; i++) {
    const r = await handler(new Request(url));
    if (r.status !== 402) throw new Error('mppx did not answer 402');
    const challenge = Challenge.fromResponse(r.challenge);
    const authorization = Credential.serialize(
      Credential.from({ challenge, payload: { proof: `ok-${++proofs}` } }),
    );
    out.push(new Request(url, { headers: { authorization } }));
  }
  return out;
}

/** mppx's challenge-id HMAC: exactly the calls of its internal `computeId` (ox, pure-JS SHA-256). */
export function mppxChallengeHmac(input: string): string {
  const mac = Hash.hmac256(Bytes.fromString(SECRET), Bytes.fromString(input), { as: 'Bytes' });
  return Base64.fromBytes(mac, { url: true, pad: false });
}

/** mppx's JCS (`ox` `Json.canonicalize`, what `PaymentRequest.serialize` runs). */
export const mppxCanonicalize = (value: unknown): string => Json.canonicalize(value as never);

/** An ox Ed25519 key pair (noble, pure JS) for the sign/verify comparison. */
export function oxEd25519() {
  const { privateKey, publicKey } = Ed25519.createKeyPair({ as: 'Bytes' });
  return {
    sign: (payload: Uint8Array) => Ed25519.sign({ payload, privateKey, as: 'Bytes' }),
    verify: (payload: Uint8Array, signature: Uint8Array) => Ed25519.verify({ payload, publicKey, signature }),
  };
}

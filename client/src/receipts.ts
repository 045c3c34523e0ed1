import { type JsonValue, parseReceipt, type Receipt } from '@hit-pay/mpp/protocol';
import { type ReceiptClaims, remoteJwks, verifyReceipt } from '@hit-pay/mpp/receipts';
import type { JWTVerifyGetKey } from 'jose';
import { ReceiptInvalid } from './errors.js';

/** A receipt the client verified: the Payment-Receipt members plus the signed claims. */
export interface VerifiedReceipt extends ReceiptClaims {
  /** The Payment-Receipt header value, as received. */
  header: string;
  /** The compact JWS inside it. */
  jws: string;
  timestamp: string;
}

/** JWKS per broker URL, cached for the process (rotation is handled by the remote key set). */
const keySets = new Map<string, JWTVerifyGetKey>();

export function brokerKeys(broker: string): JWTVerifyGetKey {
  let keys = keySets.get(broker);
  if (!keys) {
    // An unknown kid (the broker rotated its key) waits for a refetch rather than failing: refusing
    // the receipt would record a real payment as failed (and unbudgeted).
    keys = remoteJwks(`${broker}/.well-known/jwks.json`);
    keySets.set(broker, keys);
  }
  return keys;
}

export interface ExpectedPayment {
  method: string;
  challengeId: string;
  amount: string;
  currency: string;
  realm: string;
  /** The request the client paid for, when it knows its hash. */
  requestHash?: string;
}

/**
 * Verifies a `Payment-Receipt`: the header decodes, its `jws` verifies against the broker's JWKS
 * (typ pinned, audience = realm), and the signed claims are what was paid for. Throws ReceiptInvalid.
 */
export async function verifyPaymentReceipt(
  header: string | null,
  keys: JWTVerifyGetKey,
  expected: ExpectedPayment,
): Promise<VerifiedReceipt> {
  if (!header) throw new ReceiptInvalid('The paid response carries no Payment-Receipt');
  let receipt: Receipt;
  try {
    receipt = parseReceipt(header);
  } catch (error) {
    throw new ReceiptInvalid('The Payment-Receipt header is not a receipt', { cause: error });
  }
  if (typeof receipt.jws !== 'string') throw new ReceiptInvalid('The receipt is not signed');
  let claims: ReceiptClaims;
  try {
    claims = await verifyReceipt(receipt.jws, keys, { audience: expected.realm });
  } catch (error) {
    throw new ReceiptInvalid('The receipt signature does not verify against the broker’s keys', {
      cause: error,
    });
  }
  const mismatch = (
    [
      ['method', claims.method, expected.method],
      ['challengeId', claims.challengeId, expected.challengeId],
      ['amount', claims.amount, expected.amount],
      ['currency', claims.currency, expected.currency],
      ['reference', claims.reference, receipt.reference],
      ...(expected.requestHash ? [['requestHash', claims.requestHash, expected.requestHash]] : []),
    ] as [string, unknown, unknown][]
  ).find(([, got, want]) => got !== want);
  if (mismatch) throw new ReceiptInvalid(`The signed receipt's ${mismatch[0]} does not match what was paid`);
  return { ...claims, header, jws: receipt.jws, timestamp: String(receipt.timestamp as JsonValue) };
}

import { base64url } from './base64url.js';
import { MppError } from './errors.js';
import { isJsonObject, type JsonValue, parseJson, stringifyJson } from './json.js';

/**
 * A `Payment-Receipt`: base64url JSON. The core members are `status` ("success"), `method`,
 * `timestamp` (RFC 3339) and `reference`; methods add members (`challengeId`, and for HitPay the
 * signed `jws`). Integers beyond 2^53 are read as `bigint` and written back exactly.
 */
export interface Receipt {
  status?: string;
  method?: string;
  timestamp?: string;
  reference?: string;
  challengeId?: string;
  [member: string]: JsonValue | undefined;
}

/** A receipt with every member the core scheme requires of a successful payment. */
export interface SuccessReceipt extends Receipt {
  status: 'success';
  method: string;
  timestamp: string;
  reference: string;
}

/**
 * Decodes a `Payment-Receipt` value into its JSON object, keeping unknown members and member order.
 * Throws `MppError('malformed-receipt')` when it is not strict base64url of a JSON object.
 * Use {@link isSuccessReceipt} to check the core members.
 */
export function parseReceipt(header: string): Receipt {
  if (typeof header !== 'string') throw new MppError('malformed-receipt', 'Receipt is not a string');
  let text: string;
  try {
    text = base64url.decodeText(header.trim());
  } catch {
    throw new MppError('malformed-receipt', 'Receipt is not base64url');
  }
  const value = parseJson(text, 'malformed-receipt');
  if (!isJsonObject(value)) throw new MppError('malformed-receipt', 'Receipt is not a JSON object');
  return value as Receipt;
}

/** Encodes a receipt as a `Payment-Receipt` value (base64url of its JSON, member order kept). */
export function formatReceipt(receipt: Receipt): string {
  return base64url.encode(stringifyJson(receipt));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** True when the receipt has the members the core requires: status "success", method, timestamp, reference. */
export function isSuccessReceipt(receipt: Receipt): receipt is SuccessReceipt {
  return (
    receipt.status === 'success' &&
    typeof receipt.method === 'string' &&
    receipt.method.length > 0 &&
    typeof receipt.timestamp === 'string' &&
    RFC3339.test(receipt.timestamp) &&
    typeof receipt.reference === 'string' &&
    receipt.reference.length > 0
  );
}

/**
 * HitPay's two webhook signatures. v1 (form fields): HMAC-SHA256 with the API-key salt over every
 * field except `hmac`, sorted by key and concatenated as key+value with no separator. v2 (JSON):
 * HMAC-SHA256 with the endpoint's own salt over the exact raw body. Both are lowercase hex.
 */
import { createHmac } from 'node:crypto';

/** The string v1 signs: `key+value` for every field but `hmac`, keys in ascending byte order. */
export function v1SignatureBase(fields: Readonly<Record<string, string>>): string {
  return Object.keys(fields)
    .filter((k) => k !== 'hmac')
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => k + fields[k])
    .join('');
}

/** The v1 `hmac` field for these fields under the business's API-key salt. */
export function signV1(fields: Readonly<Record<string, string>>, apiSalt: string): string {
  return createHmac('sha256', apiSalt).update(v1SignatureBase(fields), 'utf8').digest('hex');
}

/** The v2 `Hitpay-Signature` header for this exact body under the endpoint's salt. */
export function signV2(rawBody: string | Uint8Array, endpointSalt: string): string {
  return createHmac('sha256', endpointSalt).update(rawBody).digest('hex');
}

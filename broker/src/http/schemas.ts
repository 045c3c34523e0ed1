import { z } from 'zod';

/** Request bodies of the broker's endpoints. Strings are bounded; unknown members are ignored. */

const text = (max: number) => z.string().min(1).max(max);
const minor = z.string().regex(/^[1-9][0-9]{0,17}$/, 'must be positive minor units');
const currency = z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code');
/** A challenge object; its members are checked by the challenge verifier. */
const challenge = z.record(z.string(), z.unknown());

/** `POST /v1/charges` */
export const openChargeBody = z.object({
  challenge,
  return_url: text(1000).optional(),
});

/** `POST /v1/saved-payment-methods` */
export const setupBody = z.object({
  challenge,
  payment_method: text(50),
  customer_email: text(254).optional(),
});

/** `PUT /v1/merchants/self` */
export const merchantBody = z.object({
  webhook_salt: text(512).optional(),
  api_salt: text(512).optional(),
  challenge_secrets: z.array(text(1024)).min(1).max(10),
  hitpay_base_url: text(300),
});

/** `POST /v1/charges/{id}/verify` */
export const verifyBody = z.object({
  challenge,
  amount: minor,
  currency,
  request_hash: text(200),
  payment_request_id: text(100).optional(),
  lease_ms: z.number().int().min(1000).max(600_000).optional(),
});

/** `POST /v1/charges/{id}/commit|release` */
export const leaseBody = z.object({ lease_id: text(100) });

/** `POST /v1/saved-payment-methods/{id}/charges` */
export const savedChargeBody = z.object({
  grant: text(8192),
  nonce: text(128),
  amount: minor,
  currency,
  request_hash: text(200),
  challenge_id: text(200),
  realm: text(500),
});

/** HTTP field names of the Payment scheme, lower-cased (the form Node and Fetch hand out). */
export const Header = {
  wwwAuthenticate: 'www-authenticate',
  authorization: 'authorization',
  /** -01: alternative credential field selected by the challenge's `header` parameter. */
  paymentAuthorization: 'payment-authorization',
  paymentReceipt: 'payment-receipt',
  acceptPayment: 'accept-payment',
  cacheControl: 'cache-control',
  retryAfter: 'retry-after',
  contentType: 'content-type',
  idempotencyKey: 'idempotency-key',
} as const;

/** The only value -01 allows for the challenge `header` parameter. */
export const PAYMENT_AUTHORIZATION = 'Payment-Authorization';

/** Media type of RFC 9457 problem documents. */
export const PROBLEM_JSON = 'application/problem+json';

/** Headers a browser client must be able to read from a 402 or a paid response (CORS exposure). */
export const EXPOSED_HEADERS = ['WWW-Authenticate', 'Payment-Receipt', 'Retry-After'] as const;

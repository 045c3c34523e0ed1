/**
 * The IETF "Payment" HTTP authentication scheme, byte-exact and without I/O: challenge, credential
 * and receipt codecs, JCS, base64url, the challenge-id HMAC, RFC 9530 digests, Accept-Payment and
 * the RFC 9457 problem types.
 *
 * @module
 */
export { type PaymentRange, parseAcceptPayment, selectByAcceptPayment } from './accept-payment.js';
export { base64url } from './base64url.js';
export { type Challenge, formatChallenge, PAYMENT_SCHEME, parseChallenges } from './challenge.js';
export { type ChallengeIdParams, challengeIdInput, computeChallengeId } from './challenge-id.js';
export { type ChallengeEcho, type Credential, formatCredential, parseCredential } from './credential.js';
export { contentDigest, digestMatches, parseDigest } from './digest.js';
export {
  MPP_PROBLEM_BASE,
  MppConfigError,
  MppError,
  type MppErrorCode,
  type MppErrorOptions,
  PAYMENT_PROBLEM_BASE,
  type ProblemDetails,
  problemSpec,
  REGISTERED_PROBLEMS,
} from './errors.js';
export { formatTimestamp, parseTimestamp } from './expiry.js';
export { hmacSha256, sha256, timingSafeEqual, timingSafeEqualStrings } from './hash.js';
export { EXPOSED_HEADERS, Header, PAYMENT_AUTHORIZATION, PROBLEM_JSON } from './headers.js';
export { canonicalize, canonicalizeJson } from './jcs.js';
export { type JsonValue, parseJson, stringifyJson } from './json.js';
export {
  formatReceipt,
  isSuccessReceipt,
  parseReceipt,
  type Receipt,
  type SuccessReceipt,
} from './receipt.js';

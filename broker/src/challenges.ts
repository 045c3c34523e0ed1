import { currencyExponent } from '@hit-pay/mpp';
import {
  base64url,
  type ChallengeEcho,
  computeChallengeId,
  MppError,
  parseJson,
  parseTimestamp,
  timingSafeEqualStrings,
} from '@hit-pay/mpp/protocol';
import type { Merchant, Merchants } from './merchants.js';

/** A challenge the broker has checked: issued by a registered merchant, unexpired, of the method. */
export interface VerifiedChallenge {
  readonly echo: ChallengeEcho;
  readonly merchant: Merchant;
  /** Minor units. */
  readonly amount: string;
  /** Lower-case ISO 4217. */
  readonly currency: string;
  readonly description: string | undefined;
  /** `request.methodDetails`. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly expiresAt: number;
  /** The broker base URL the merchant's API named (`methodDetails.broker`), bound by the HMAC. */
  readonly brokerUrl: string;
  /** The canonical request hash bound in `opaque` (`hitpay` only). */
  readonly requestHash: string | undefined;
}

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PARAMS = ['id', 'realm', 'method', 'intent', 'request'] as const;
const OPTIONAL = ['expires', 'digest', 'description', 'opaque', 'header'] as const;
const MINOR = /^[1-9][0-9]{0,17}$/;
const invalid = (detail: string) => new MppError('invalid-challenge', detail);

/** Decodes the `{token}` of `/v1/checkout/{token}`: base64url of the challenge's JSON. */
export function decodeCheckoutToken(token: string): unknown {
  if (token.length > 8192) throw new MppError('bad-request', 'Checkout token is too long');
  let text: string;
  try {
    text = base64url.decodeText(token);
  } catch {
    throw new MppError('bad-request', 'Checkout token is not base64url');
  }
  return parseJson(text, 'bad-request');
}

function decodeJsonParam(value: string, what: string): Record<string, unknown> {
  try {
    const v = parseJson(base64url.decodeText(value), 'invalid-challenge');
    if (isJsonObject(v)) return v;
  } catch {
    // fall through: any decoding failure is the same refusal
  }
  throw invalid(`Challenge ${what} is not base64url JSON of an object`);
}

/** Shape check of an echoed challenge (strings only, bounded), before any lookup. */
export function challengeShape(raw: unknown): ChallengeEcho {
  if (!isJsonObject(raw)) throw new MppError('bad-request', '"challenge" must be an object');
  for (const name of PARAMS) {
    const v = raw[name];
    if (typeof v !== 'string' || v === '' || v.length > 4096)
      throw new MppError('bad-request', `Challenge needs a string "${name}"`);
  }
  for (const name of OPTIONAL) {
    const v = raw[name];
    if (v !== undefined && (typeof v !== 'string' || v.length > 4096))
      throw new MppError('bad-request', `Challenge "${name}" must be a string`);
  }
  return raw as unknown as ChallengeEcho;
}

/**
 * Verifies a challenge echoed to a public endpoint (checkout, setup): its method and intent, its
 * HMAC with one of the merchant's registered secrets (constant time), its expiry, and the shape of
 * its request. The merchant is read from the request first; the HMAC then proves the request is
 * that merchant's. Refusals are `invalid-challenge`, `payment-expired` or `bad-request`.
 */
export async function verifyChallenge(
  raw: unknown,
  method: 'hitpay' | 'hitpay-save',
  merchants: Merchants,
  now: number,
): Promise<VerifiedChallenge> {
  const echo = challengeShape(raw);
  if (echo.method !== method || echo.intent !== 'charge')
    throw invalid(
      `Expected a ${method}/charge challenge, got ${echo.method.slice(0, 30)}/${echo.intent.slice(0, 30)}`,
    );
  const request = decodeJsonParam(echo.request, 'request');
  const details = request.methodDetails;
  if (!isJsonObject(details)) throw invalid('Challenge request has no methodDetails');
  const merchant = typeof details.merchant === 'string' ? await merchants.get(details.merchant) : undefined;
  if (!merchant) throw invalid('Challenge names no merchant registered with this broker');
  const params = {
    realm: echo.realm,
    method: echo.method,
    intent: echo.intent,
    request: echo.request,
    expires: echo.expires,
    digest: echo.digest,
    opaque: echo.opaque,
    header: echo.header,
  };
  let bound = false;
  for (const secret of merchant.challengeSecrets) {
    // No early exit: every secret is tried, so timing says nothing about which one matched.
    if (timingSafeEqualStrings(computeChallengeId(secret, params), echo.id)) bound = true;
  }
  if (!bound) throw invalid('Challenge was not issued by this merchant');
  const expiresAt = echo.expires === undefined ? undefined : parseTimestamp(echo.expires);
  if (expiresAt === undefined) throw invalid('Challenge has no valid expiry');
  if (now >= expiresAt) throw new MppError('payment-expired', `Challenge expired at ${echo.expires}`);

  const { amount, currency } = request;
  if (typeof amount !== 'string' || !MINOR.test(amount))
    throw invalid('Challenge amount is not positive minor units');
  if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency))
    throw invalid('Challenge currency is not lower-case ISO 4217');
  try {
    currencyExponent(currency);
  } catch {
    throw invalid(`Currency ${currency} is not supported`);
  }
  const brokerUrl = typeof details.broker === 'string' ? details.broker.replace(/\/+$/, '') : '';
  if (!/^https?:\/\/[^\s/]+/.test(brokerUrl) || brokerUrl.length > 1000)
    throw invalid('Challenge names no broker URL');
  let requestHash: string | undefined;
  if (method === 'hitpay') {
    if (echo.opaque === undefined) throw invalid('Challenge has no opaque request binding');
    const rh = decodeJsonParam(echo.opaque, 'opaque').rh;
    if (typeof rh !== 'string' || rh === '' || rh.length > 200) throw invalid('Challenge opaque has no "rh"');
    requestHash = rh;
  }
  return {
    echo,
    merchant,
    amount,
    currency,
    description: typeof request.description === 'string' ? request.description : undefined,
    details,
    expiresAt,
    brokerUrl,
    requestHash,
  };
}

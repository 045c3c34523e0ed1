import { base64url, type Challenge, MppError, parseChallenges } from '@hit-pay/mpp/protocol';

/** A challenge of a 402 with its decoded request: what the agent is asked to pay. */
export interface Offer {
  /** The challenge exactly as received (echoed unchanged in the credential). */
  challenge: Challenge;
  method: string;
  intent: string;
  /** Minor units. */
  amount: string;
  currency: string;
  description?: string;
  /** Decoded `methodDetails` of the request (broker, merchant, rails, caps…). */
  methodDetails: Record<string, unknown>;
  /** Epoch ms. */
  expiresAt?: number;
}

/** Methods this client can pay, in its order of preference. */
export const PAYABLE = ['hitpay-save', 'hitpay'] as const;

/** Reads every Payment challenge of a 402 into offers (skipping ones whose request cannot be read). */
export function readOffers(response: Response): Offer[] {
  const header = response.headers.get('www-authenticate');
  if (!header)
    throw new MppError('malformed-challenge', 'A 402 without a WWW-Authenticate: Payment challenge');
  const offers: Offer[] = [];
  for (const challenge of parseChallenges(header)) {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(base64url.decodeText(challenge.request));
    } catch {
      continue;
    }
    if (typeof request.amount !== 'string' || typeof request.currency !== 'string') continue;
    const expiresAt = challenge.expires ? Date.parse(challenge.expires) : undefined;
    offers.push({
      challenge,
      method: challenge.method,
      intent: challenge.intent,
      amount: request.amount,
      currency: request.currency,
      ...(typeof request.description === 'string' ? { description: request.description } : {}),
      methodDetails: (request.methodDetails as Record<string, unknown> | undefined) ?? {},
      ...(expiresAt !== undefined && !Number.isNaN(expiresAt) ? { expiresAt } : {}),
    });
  }
  return offers;
}

/** The `Accept-Payment` value for the methods a call can pay. */
export function acceptPayment(methods: readonly string[]): string {
  return methods.map((m, i) => `${m}/charge${i === 0 ? '' : `;q=${(1 - i * 0.1).toFixed(1)}`}`).join(', ');
}

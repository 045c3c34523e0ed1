import { base64url } from '../protocol/base64url.js';
import type { Challenge } from '../protocol/challenge.js';

/** The checkout link of a challenge: the broker mints the HitPay payment request when it is opened. */
export function checkoutUrl(broker: string, challenge: Challenge, returnUrl?: string): string {
  const link = `${broker}/v1/checkout/${base64url.encode(JSON.stringify(challenge))}`;
  return returnUrl ? `${link}?return_url=${encodeURIComponent(returnUrl)}` : link;
}

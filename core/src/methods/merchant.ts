import { base64url } from '../protocol/base64url.js';
import { sha256 } from '../protocol/hash.js';

/**
 * A merchant's id at the broker, derived from its HitPay API key: stable across instances and
 * restarts, revealing nothing about the key, and producible only by whoever holds the key.
 */
export function merchantIdFor(apiKey: string): string {
  return `m_${base64url.encode(sha256(`hit-pay/mpp merchant v1|${apiKey}`)).slice(0, 22)}`;
}

/**
 * HitPay rails a one-time checkout offers per currency (the QR and bank rails HitPay settles);
 * the route's `rails` option overrides it. An empty list lets HitPay offer the account's methods.
 */
export const DEFAULT_ONE_TIME_RAILS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  sgd: ['paynow_online'],
  myr: ['duitnow', 'fpx'],
  idr: ['doku_qris'],
  php: ['qrph_netbank', 'gcash'],
  thb: ['promptpay'],
});

/**
 * Wallet rails a saved method can use per currency (HitPay recurring billing with an embedded
 * direct link; HitPay MPP's matrix). `card` may be added per route.
 */
export const SAVED_METHOD_RAILS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  sgd: ['grabpay_direct', 'shopee_pay'],
  myr: ['grabpay_direct', 'shopee_pay', 'touch_n_go'],
  idr: ['grabpay_direct', 'shopee_pay'],
  php: ['grabpay_direct', 'shopee_pay'],
  thb: ['grabpay_direct', 'shopee_pay'],
});

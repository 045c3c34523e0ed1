import { MppError } from '../protocol/errors.js';
import type { OfferSummary } from './method.js';
import type { Price, PriceFn } from './types.js';

/**
 * Prices are written by people in major units (`'1.00'` SGD) and carried on the wire in ISO 4217
 * minor units (`"100"`), as the charge intent requires. Conversion is done on decimal strings, never
 * through floating point.
 */

/** ISO 4217 minor-unit exponents of the currencies HitPay settles in, plus common ones. */
const EXPONENTS: Record<string, number> = {
  sgd: 2,
  myr: 2,
  idr: 2,
  php: 2,
  thb: 2,
  vnd: 0,
  usd: 2,
  eur: 2,
  gbp: 2,
  aud: 2,
  nzd: 2,
  cad: 2,
  hkd: 2,
  cny: 2,
  inr: 2,
  twd: 2,
  krw: 0,
  jpy: 0,
  chf: 2,
  bnd: 2,
  khr: 2,
  mmk: 2,
  lkr: 2,
  aed: 2,
  sek: 2,
  nok: 2,
  dkk: 2,
};

/** The minor-unit exponent of a currency; throws for a currency we cannot price. */
export function currencyExponent(currency: string): number {
  const e = EXPONENTS[currency.toLowerCase()];
  if (e === undefined) throw new MppError('bad-request', `Unsupported currency "${currency}"`);
  return e;
}

/** True when the (case-insensitive) ISO 4217 code is one this library can price. */
export function isSupportedCurrency(currency: string): boolean {
  return typeof currency === 'string' && EXPONENTS[currency.toLowerCase()] !== undefined;
}

const MAJOR = /^(0|[1-9]\d{0,14})(?:\.(\d+))?$/;

/** `'1.50'` SGD → `'150'`. Rejects negative, malformed, or over-precise amounts. */
export function toMinorUnits(amount: string, currency: string): string {
  const exp = currencyExponent(currency);
  const m = typeof amount === 'string' ? MAJOR.exec(amount) : null;
  if (!m) throw new MppError('bad-request', `Amount "${String(amount)}" is not a decimal string like "1.00"`);
  const frac = m[2] ?? '';
  if (frac.length > exp && /[^0]/.test(frac.slice(exp))) {
    throw new MppError(
      'bad-request',
      `Amount "${amount}" has more than ${exp} decimals for ${currency.toUpperCase()}`,
    );
  }
  const minor = `${m[1]}${frac.slice(0, exp).padEnd(exp, '0')}`.replace(/^0+(?=\d)/, '');
  return minor;
}

/** `'150'` SGD → `'1.50'`. */
export function toMajorUnits(minor: string | bigint, currency: string): string {
  const exp = currencyExponent(currency);
  const digits = (typeof minor === 'bigint' ? minor.toString() : minor).padStart(exp + 1, '0');
  if (!/^\d+$/.test(digits))
    throw new MppError('bad-request', `Minor amount "${String(minor)}" is not an integer`);
  return exp === 0
    ? digits.replace(/^0+(?=\d)/, '')
    : `${digits.slice(0, -exp).replace(/^0+(?=\d)/, '')}.${digits.slice(-exp)}`;
}

/** `'150'`, `'sgd'` → `'SGD 1.50'`. */
export function displayAmount(minor: string, currency: string): string {
  return `${currency.toUpperCase()} ${toMajorUnits(minor, currency)}`;
}

/**
 * Longest `description` a price may carry. It travels twice — as the challenge's `description` and
 * inside its base64url `request` — and the whole challenge should stay under 8 KB (R12) even in
 * three-byte UTF-8, with room left for the other methods' challenges in the same header.
 */
export const MAX_DESCRIPTION_LENGTH = 512;
/** Longest `externalId` a price may carry (it travels inside `request`). */
export const MAX_EXTERNAL_ID_LENGTH = 128;

/** A price's free text, checked against its limit: a string of at most `max` characters. */
export function priceText(name: 'description' | 'externalId', value: unknown): string {
  const max = name === 'description' ? MAX_DESCRIPTION_LENGTH : MAX_EXTERNAL_ID_LENGTH;
  if (typeof value !== 'string' || value.length > max)
    throw new MppError('bad-request', `Price ${name} must be a string of at most ${max} characters`);
  return value;
}

/**
 * What discovery publishes for a one-time price: its amount in minor units, or `null` for a price
 * function, which is only known once a request arrives.
 */
export function priceSummary(price: Price | PriceFn): OfferSummary {
  if (typeof price === 'function') return Object.freeze({ amount: null });
  const currency = price.currency.toLowerCase();
  const out: { amount: string; currency: string; description?: string } = {
    amount: toMinorUnits(price.amount, currency),
    currency,
  };
  if (typeof price.description === 'string') out.description = price.description;
  return Object.freeze(out);
}

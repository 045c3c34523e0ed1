/**
 * Money is held in integer cents so partial refunds add up exactly; HitPay's wire formats (a
 * 2-decimal string for payment requests, a JSON number for charges and refunds) are produced here.
 */

const DECIMAL = /^\d{1,12}(\.\d{1,12})?$/;

/**
 * Parses a major-unit amount (a finite number or a plain decimal string) to integer cents, rounding
 * half away from zero at the third decimal. `undefined` when it is not a non-negative decimal.
 */
export function toCents(value: unknown): number | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    text = value.toFixed(6);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return undefined;
  }
  if (!DECIMAL.test(text)) return undefined;
  const [whole = '0', frac = ''] = text.split('.');
  const padded = `${frac}000`;
  let cents = Number(whole) * 100 + Number(padded.slice(0, 2));
  if (Number(padded[2]) >= 5) cents += 1;
  return Number.isSafeInteger(cents) ? cents : undefined;
}

/** Cents as HitPay's payment-request amount string (`"10.00"`). */
export function centsToString(cents: number): string {
  const whole = Math.trunc(cents / 100);
  const frac = String(cents % 100).padStart(2, '0');
  return `${whole}.${frac}`;
}

/** Cents as the JSON number HitPay uses for charges, refunds and recurring billing (`94.27`). */
export function centsToNumber(cents: number): number {
  return Number(centsToString(cents));
}

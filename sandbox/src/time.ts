/**
 * HitPay's clock conventions: timestamps are Singapore local time (UTC+8) without a zone designator
 * (`2025-05-21T16:57:25`), `expiry_date` is given as `YYYY-MM-DD HH:mm:ss` in the same zone, and
 * refunds carry a microsecond UTC stamp (`2025-05-21T09:17:52.000000Z`).
 */

const SG_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Formats epoch milliseconds as HitPay's Singapore-local `YYYY-MM-DDTHH:mm:ss`. */
export function sgTimestamp(ms: number): string {
  return new Date(ms + SG_OFFSET_MS).toISOString().slice(0, 19);
}

/** Formats epoch milliseconds as `YYYYMMDD` in Singapore time (the PayNow QR expiry field). */
export function sgDateCompact(ms: number): string {
  return sgTimestamp(ms).slice(0, 10).replaceAll('-', '');
}

/** Formats epoch milliseconds as the microsecond UTC stamp HitPay uses for `refunded_at`. */
export function utcMicros(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.000000Z`;
}

const EXPIRY_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parses `expiry_date` (`YYYY-MM-DD HH:mm:ss`, Singapore time) to epoch milliseconds, or
 * `undefined` when it is not that exact format or not a real calendar instant.
 */
export function parseSgDateTime(text: string): number | undefined {
  const m = EXPIRY_DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  // Date.UTC rolls 2026-02-31 over to March; Laravel's date_format rule rejects it, so do we.
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return utc - SG_OFFSET_MS;
}

const EXPIRES_AFTER = /^(\d{1,6}) (mins|hours|days)$/;
const UNIT_MS = { mins: 60_000, hours: 3_600_000, days: 86_400_000 } as const;

/**
 * Parses `expires_after` (`"30 mins"`, `"2 hours"`, `"1 days"`) to milliseconds. Singular units are
 * rejected, as HitPay's sandbox answers `"1 hour"` with 422; `undefined` means the format is invalid.
 */
export function parseExpiresAfter(text: string): number | undefined {
  const m = EXPIRES_AFTER.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n < 1) return undefined;
  return n * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

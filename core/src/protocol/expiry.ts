/** RFC 3339 timestamps as the Payment scheme writes them (`expires`, receipt `timestamp`). */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

// One-entry caches: consecutive requests format the same second and parse the same expiry.
let lastSecond = Number.NaN;
let lastFormatted = '';
let lastParsedText = '';
let lastParsedValue: number | undefined;

/** Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, UTC). */
export function formatTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastFormatted = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastFormatted;
}

/**
 * Parses a strict RFC 3339 date-time to epoch milliseconds; `undefined` when malformed or when a
 * field is out of range (no calendar roll-over: 2026-02-30 is rejected).
 */
export function parseTimestamp(value: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === lastParsedText) return lastParsedValue;
  const parsed = parseUncached(value);
  lastParsedText = value;
  lastParsedValue = parsed;
  return parsed;
}

function parseUncached(value: string): number | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > dim) return undefined;
  let ms = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
  if (m[7]) ms += Math.floor(Number(`0${m[7]}`) * 1000);
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    ms -= (m[9] === '+' ? 1 : -1) * (oh * 60 + om) * 60_000;
  }
  return ms;
}

import { MppError, type MppErrorCode } from './errors.js';

/**
 * JSON reading and writing that keeps integers beyond 2^53 exact. Wire JSON (credentials, receipts)
 * may carry such integers; a reader that goes through doubles silently changes them. Values outside
 * the safe-integer range are read as `bigint` and written back digit for digit.
 *
 * The fast path is the engine's `JSON.parse`; only a document that actually holds an unsafe integer
 * is read again by the small exact parser below.
 */

/** A JSON value as read by {@link parseJson}: unsafe integers arrive as `bigint`. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasUnsafeInteger);
  for (const k in value) if (hasUnsafeInteger((value as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * Parses JSON text. Throws `MppError(code)` on malformed input (default code `bad-request`).
 * Integers outside ±(2^53−1) written without fraction or exponent come back as `bigint`.
 */
export function parseJson(text: string, code: MppErrorCode = 'bad-request'): JsonValue {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MppError(code, 'Not valid JSON');
  }
  // An integer beyond 2^53 needs at least 16 digits in a row; without such a run (the usual case)
  // the engine's parse is already exact and the walk is skipped.
  if (!/\d{16}/.test(text) || !hasUnsafeInteger(value)) return value as JsonValue;
  return new ExactParser(text, code).parseDocument();
}

class ExactParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly code: MppErrorCode,
  ) {}

  parseDocument(): JsonValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.text.length) this.fail();
    return v;
  }

  private fail(): never {
    throw new MppError(this.code, 'Not valid JSON');
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  private value(): JsonValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [lit, val] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(lit, this.pos)) {
        this.pos += lit.length;
        return val;
      }
    }
    return this.fail();
  }

  private object(): JsonValue {
    this.pos++;
    const out: Record<string, JsonValue> = {};
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail();
      const key = this.string();
      this.ws();
      if (this.text[this.pos++] !== ':') this.fail();
      const v = this.value();
      // JSON.parse semantics: the last duplicate wins; define the property so "__proto__" stays data.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const sep = this.text[this.pos++];
      if (sep === '}') return out;
      if (sep !== ',') this.fail();
    }
  }

  private array(): JsonValue {
    this.pos++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const sep = this.text[this.pos++];
      if (sep === ']') return out;
      if (sep !== ',') this.fail();
    }
  }

  private string(): string {
    // Reuse the engine for escapes: find the closing quote, then JSON.parse the slice.
    const start = this.pos;
    let i = start + 1;
    const t = this.text;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) i++;
      i++;
    }
    if (i >= t.length) this.fail();
    this.pos = i + 1;
    try {
      return JSON.parse(t.slice(start, i + 1)) as string;
    } catch {
      return this.fail();
    }
  }

  private number(): number | bigint {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!m) this.fail();
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (m[2] === undefined && m[3] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  }
}

/**
 * `JSON.stringify` that writes `bigint` values as plain integers, so a document read by
 * {@link parseJson} is written back with the same numbers. Key order is preserved.
 */
export function stringifyJson(value: unknown): string {
  if (!containsBigInt(value)) return JSON.stringify(value);
  const marks: string[] = [];
  // A per-call nonce keeps a string that happens to look like a placeholder from being replaced.
  const nonce = Math.random().toString(36).slice(2, 10);
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return `\u0000${nonce}:${marks.length - 1}\u0000`;
    }
    return v;
  });
  const pattern = new RegExp(`"\\\\u0000${nonce}:(\\d+)\\\\u0000"`, 'g');
  return text.replace(pattern, (_m, i: string) => marks[Number(i)]!);
}

function containsBigInt(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(containsBigInt);
  for (const k in value) if (containsBigInt((value as Record<string, unknown>)[k])) return true;
  return false;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A small Laravel-style validator: each rule reads one field of the parsed body (form or JSON, so
 * values may be strings where JSON would have numbers or booleans), records Laravel's message on
 * failure and returns the coerced value. `done()` throws one 422 with every failure.
 */
import { toCents } from './amounts.js';
import { validationFailed } from './errors.js';

/** A parsed request body or query: JSON object or bracket-decoded form fields. */
export type Input = Record<string, unknown>;

const label = (field: string): string => field.replaceAll('_', ' ');

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CURRENCY = /^[A-Za-z]{3}$/;

/** Collects field errors in request order; see the module comment. */
export class Validator {
  private readonly errors: Record<string, string[]> = {};

  constructor(private readonly input: Input) {}

  /** Whether the field was sent with a non-empty value (Laravel treats "" and null as absent). */
  present(field: string): boolean {
    const v = Object.hasOwn(this.input, field) ? this.input[field] : undefined;
    return v !== undefined && v !== null && v !== '';
  }

  /** Records a failure on `field`. */
  fail(field: string, message: string): undefined {
    this.errors[field] ??= [];
    this.errors[field].push(message);
    return undefined;
  }

  /** Whether any rule has failed so far. */
  get failed(): boolean {
    return Object.keys(this.errors).length > 0;
  }

  /** Throws the 422 when any rule failed. */
  done(): void {
    if (this.failed) throw validationFailed(this.errors);
  }

  private raw(field: string, required: boolean): unknown {
    if (!this.present(field)) {
      if (required) this.fail(field, `The ${label(field)} field is required.`);
      return undefined;
    }
    return this.input[field];
  }

  /** A string (numbers are accepted and stringified, as PHP does) of at most `max` characters. */
  string(field: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = this.raw(field, opts.required ?? false);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' && typeof v !== 'number')
      return this.fail(field, `The ${label(field)} must be a string.`);
    const s = String(v);
    if (opts.max !== undefined && s.length > opts.max) {
      return this.fail(field, `The ${label(field)} must not be greater than ${opts.max} characters.`);
    }
    return s;
  }

  /** An email address. */
  email(field: string, opts: { required?: boolean } = {}): string | undefined {
    const s = this.string(field, { ...opts, max: 255 });
    if (s === undefined) return undefined;
    if (!EMAIL.test(s)) return this.fail(field, `The ${label(field)} must be a valid email address.`);
    return s;
  }

  /** An absolute http(s) URL. */
  url(field: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const s = this.string(field, { ...opts, max: opts.max ?? 2048 });
    if (s === undefined) return undefined;
    let ok = false;
    try {
      const u = new URL(s);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) return this.fail(field, `The ${label(field)} must be a valid URL.`);
    return s;
  }

  /** A 3-letter currency code, returned lowercase as HitPay echoes it. */
  currency(field: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.raw(field, opts.required ?? false);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') return this.fail(field, `The ${label(field)} must be a string.`);
    if (!CURRENCY.test(v)) return this.fail(field, `The ${label(field)} must be 3 characters.`);
    return v.toLowerCase();
  }

  /** A decimal amount in major units, returned as integer cents, bounded like HitPay's `between`. */
  amount(field: string, opts: { required?: boolean; min: string; max: string }): number | undefined {
    const v = this.raw(field, opts.required ?? false);
    if (v === undefined) return undefined;
    const cents = toCents(typeof v === 'string' || typeof v === 'number' ? v : undefined);
    if (cents === undefined) {
      if (typeof v === 'string' && /^-\d/.test(v.trim())) return this.between(field, opts);
      if (typeof v === 'number' && Number.isFinite(v)) return this.between(field, opts);
      return this.fail(field, `The ${label(field)} must be a number.`);
    }
    const min = toCents(opts.min) ?? 0;
    const max = toCents(opts.max) ?? Number.MAX_SAFE_INTEGER;
    if (cents < min || cents > max) return this.between(field, opts);
    return cents;
  }

  private between(field: string, opts: { min: string; max: string }): undefined {
    return this.fail(field, `The ${label(field)} must be between ${opts.min} and ${opts.max}.`);
  }

  /** A boolean: true/false, "true"/"false", 1/0, "1"/"0" (Laravel's `boolean` rule). */
  boolean(field: string): boolean | undefined {
    const v = this.raw(field, false);
    if (v === undefined) return undefined;
    if (v === true || v === 'true' || v === 1 || v === '1') return true;
    if (v === false || v === 'false' || v === 0 || v === '0') return false;
    return this.fail(field, `The ${label(field)} field must be true or false.`);
  }

  /** A positive integer (query parameters arrive as strings). */
  integer(field: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.raw(field, false);
    if (v === undefined) return undefined;
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n)) return this.fail(field, `The ${label(field)} must be an integer.`);
    if (opts.min !== undefined && n < opts.min)
      return this.fail(field, `The ${label(field)} must be at least ${opts.min}.`);
    if (opts.max !== undefined && n > opts.max) {
      return this.fail(field, `The ${label(field)} must not be greater than ${opts.max}.`);
    }
    return n;
  }

  /**
   * An array of strings from a fixed list. A lone string is accepted as a one-element array (a form
   * field sent without `[]`). Laravel reports an unknown entry under the field as "The selected …".
   */
  enumArray(
    field: string,
    allowed: ReadonlySet<string>,
    opts: { required?: boolean } = {},
  ): string[] | undefined {
    const v = this.raw(field, opts.required ?? false);
    if (v === undefined) return undefined;
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list)) return this.fail(field, `The ${label(field)} must be an array.`);
    if (list.length === 0 && opts.required) return this.fail(field, `The ${label(field)} field is required.`);
    if (!list.every((x): x is string => typeof x === 'string' && allowed.has(x))) {
      return this.fail(field, `The selected ${label(field)} is invalid.`);
    }
    return [...new Set(list)];
  }

  /** A flat object of string values (`metadata`), at most `maxKeys` keys of `maxLength` chars. */
  stringMap(field: string, opts: { maxKeys: number; maxLength: number }): Record<string, string> | undefined {
    const v = this.raw(field, false);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      return this.fail(field, `The ${label(field)} must be an array.`);
    }
    const entries = Object.entries(v);
    if (entries.length > opts.maxKeys) {
      return this.fail(field, `The ${label(field)} must not have more than ${opts.maxKeys} items.`);
    }
    const out: [string, string][] = [];
    for (const [k, val] of entries) {
      if ((typeof val !== 'string' && typeof val !== 'number') || String(val).length > opts.maxLength) {
        return this.fail(
          `${field}.${k}`,
          `The ${label(field)}.${k} must be a string of at most ${opts.maxLength} characters.`,
        );
      }
      out.push([k, String(val)]);
    }
    // fromEntries defines own properties, so a `__proto__` key stays data and never a prototype.
    return Object.fromEntries(out);
  }
}

import { MppError } from './errors.js';
import { parseJson } from './json.js';

/**
 * RFC 8785 JSON Canonicalization Scheme.
 *
 * - Member names sort by UTF-16 code units: exactly what `Array.prototype.sort` does on strings.
 * - Strings are escaped as ECMAScript `JSON.stringify` does (RFC 8785 §3.2.2.2 defers to it).
 * - Numbers use the ECMAScript Number-to-String rendering (§3.2.2.3). JCS numbers are IEEE 754
 *   doubles, so a `bigint` is rendered as the double it rounds to.
 */
export function canonicalize(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new MppError('bad-request', 'JCS cannot represent a non-finite number');
      // JSON.stringify renders -0 as "0", as RFC 8785 requires.
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(Number(value));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i) out += ',';
          const item = value[i];
          out += item === undefined || typeof item === 'function' ? 'null' : canonicalize(item);
        }
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const item = obj[key];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(key)}:${canonicalize(item)}`;
      }
      return `${out}}`;
    }
    default:
      throw new MppError('bad-request', `JCS cannot represent a ${typeof value}`);
  }
}

/**
 * Canonicalizes JSON text: parses it and renders the canonical form. Throws
 * `MppError('bad-request')` on malformed input.
 */
export function canonicalizeJson(text: string): string {
  return canonicalize(parseJson(text));
}

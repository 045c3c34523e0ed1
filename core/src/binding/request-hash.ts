import { contentDigest } from '../protocol/digest.js';
import { sha256Base64url } from '../protocol/hash.js';

/**
 * The canonical request hash of docs/spec/request-hash.md:
 * `base64url(SHA-256(method LF path LF query LF body-digest))`.
 */

const HEX = '0123456789ABCDEF';
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexVal = (c: number): number => (c <= 57 ? c - 48 : (c | 32) - 87);
const isUnreserved = (c: number): boolean =>
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  (c >= 48 && c <= 57) ||
  c === 45 ||
  c === 46 ||
  c === 95 ||
  c === 126;

/** RFC 3986 §6.2.2 percent-encoding normalization: decode unreserved octets, upper-case the rest. */
export function normalizePercentEncoding(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 37) {
      out += s[i];
      continue;
    }
    const a = s.charCodeAt(i + 1);
    const b = s.charCodeAt(i + 2);
    if (i + 2 < s.length && isHex(a) && isHex(b)) {
      const octet = (hexVal(a) << 4) | hexVal(b);
      out += isUnreserved(octet) ? String.fromCharCode(octet) : `%${HEX[octet >> 4]}${HEX[octet & 15]}`;
      i += 2;
    } else out += '%25';
  }
  return out;
}

/**
 * Targets the WHATWG parser leaves as they are: a path of unreserved characters, sub-delims, ":",
 * "@" and "/" (no "%", no "\\"), without dot segments, and a query that also allows "?", "/" and
 * "%" but not "'". For them the split is a plain slice, which saves a URL parse per request.
 */
const PLAIN_TARGET = /^(\/[A-Za-z0-9\-._~!$&()*+,;=:@/]*)(?:\?([A-Za-z0-9\-._~!$&()*+,;=:@/?%]*))?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/** Splits a request target into its WHATWG-normalized path and query (without "?"). */
export function splitTarget(target: string): { path: string; query: string } {
  const plain = PLAIN_TARGET.exec(target);
  if (plain && !DOT_SEGMENT.test(plain[1]!)) return { path: plain[1]!, query: plain[2] ?? '' };
  let url: URL;
  try {
    // An origin-form target is always a path: "//x" must not turn into a host.
    url =
      target.startsWith('/') || target.startsWith('\\')
        ? new URL(`http://h${target}`)
        : new URL(target, 'http://h/');
  } catch {
    // Unparseable targets still need a stable, distinct hash: encode them wholesale.
    return { path: `/${encodeURIComponent(target)}`, query: '' };
  }
  return { path: url.pathname, query: url.search.length > 1 ? url.search.slice(1) : '' };
}

/** The canonical query: pairs normalized, stably sorted by name, joined with "&". */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  const pairs: [string, string][] = [];
  for (const element of query.split('&')) {
    if (element === '') continue;
    const eq = element.indexOf('=');
    const name = normalizePercentEncoding(eq < 0 ? element : element.slice(0, eq));
    const value = eq < 0 ? '' : normalizePercentEncoding(element.slice(eq + 1));
    pairs.push([name, value]);
  }
  // Array.prototype.sort is stable and compares UTF-16 code units.
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

export interface RequestHashInput {
  method: string;
  /** The request target as received: path and query, e.g. `/forecast/94103?units=metric`. */
  target: string;
  /** Body bytes; undefined or empty for no body. */
  body?: Uint8Array | undefined;
  /** A precomputed RFC 9530 digest of the body (saves hashing it twice). */
  bodyDigest?: string | undefined;
}

/** The canonical request string (the hash input). */
export function canonicalRequest(input: RequestHashInput): string {
  const { path, query } = splitTarget(input.target);
  const digest = input.bodyDigest ?? (input.body && input.body.length > 0 ? contentDigest(input.body) : '');
  return `${input.method.toUpperCase()}\n${normalizePercentEncoding(path)}\n${canonicalQuery(query)}\n${digest}`;
}

/** The request hash: base64url (no padding) of SHA-256 of {@link canonicalRequest}. */
export function requestHash(input: RequestHashInput): string {
  return sha256Base64url(canonicalRequest(input));
}

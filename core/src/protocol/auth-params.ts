/**
 * RFC 9110 §11 authentication field syntax: a comma-separated list of challenges, each an
 * auth-scheme followed by a token68 or by auth-params (`name BWS "=" BWS (token / quoted-string)`).
 *
 * The tokenizer is total: it never throws, it skips what it cannot read and marks the challenge
 * it was reading as broken, so one bad offer never hides a good one that follows.
 */

export interface RawChallenge {
  /** The auth-scheme as written. */
  scheme: string;
  /** Parameters with lower-cased names; the first occurrence of a name wins. */
  params: Map<string, string>;
  /** A token68 given instead of parameters (e.g. `Basic abc==`). */
  token68?: string;
  /** True when a syntax error was met inside this challenge. */
  broken: boolean;
}

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** True for a non-empty RFC 9110 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || !TCHAR[c]) return false;
  }
  return true;
}

const isTchar = (c: number): boolean => c < 128 && TCHAR[c] === 1;
const isWs = (c: number): boolean => c === 32 || c === 9;
// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const isT68 = (c: number): boolean =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 45 ||
  c === 46 ||
  c === 95 ||
  c === 126 ||
  c === 43 ||
  c === 47;

/** Splits an authentication header value into challenges. Never throws. */
export function tokenizeChallenges(header: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  const s = typeof header === 'string' ? header : '';
  const n = s.length;
  let pos = 0;
  let current: RawChallenge | undefined;

  const skipWs = (): void => {
    while (pos < n && isWs(s.charCodeAt(pos))) pos++;
  };
  /** Skips to just after the next comma outside a quoted-string. */
  const skipElement = (): void => {
    let quoted = false;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (quoted) {
        if (c === 92) pos++;
        else if (c === 34) quoted = false;
      } else if (c === 34) quoted = true;
      else if (c === 44) {
        pos++;
        return;
      }
      pos++;
    }
  };
  const readToken = (): string => {
    const start = pos;
    while (pos < n && isTchar(s.charCodeAt(pos))) pos++;
    return s.slice(start, pos);
  };
  /** Reads a quoted-string starting at the opening quote; undefined when malformed. */
  const readQuoted = (): string | undefined => {
    pos++;
    let value = '';
    let chunk = pos;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === 34) {
        value += s.slice(chunk, pos);
        pos++;
        return value;
      }
      if (c === 92) {
        value += s.slice(chunk, pos);
        const next = s.charCodeAt(pos + 1);
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (pos + 1 >= n || (next < 32 && next !== 9) || next === 127) return undefined;
        value += s[pos + 1];
        pos += 2;
        chunk = pos;
        continue;
      }
      // qdtext excludes CTLs other than HTAB (and DEL).
      if ((c < 32 && c !== 9) || c === 127) return undefined;
      pos++;
    }
    return undefined;
  };

  while (pos < n) {
    // Empty list elements and optional whitespace between elements are tolerated (RFC 9110 §5.6.1).
    const c0 = s.charCodeAt(pos);
    if (isWs(c0) || c0 === 44) {
      pos++;
      continue;
    }
    const tokenStart = pos;
    const token = readToken();
    if (token.length === 0) {
      if (current) current.broken = true;
      skipElement();
      continue;
    }
    skipWs();
    if (s.charCodeAt(pos) === 61 /* = */) {
      // Either an auth-param of the current challenge or (rare) a token68 ending in "=".
      pos++;
      skipWs();
      let value: string | undefined;
      if (s.charCodeAt(pos) === 34) value = readQuoted();
      else {
        const v = readToken();
        value = v.length ? v : undefined;
      }
      skipWs();
      const after = s.charCodeAt(pos);
      if (value === undefined || (pos < n && after !== 44)) {
        if (current) current.broken = true;
        skipElement();
        continue;
      }
      if (current) {
        const name = token.toLowerCase();
        if (!current.params.has(name)) current.params.set(name, value);
      }
      continue;
    }
    // A new challenge: `scheme [ 1*SP ( token68 / #auth-param ) ]`.
    current = { scheme: token, params: new Map(), broken: false };
    out.push(current);
    if (pos > tokenStart + token.length) {
      // Try a token68: it must be followed by the end of the element.
      const save = pos;
      while (pos < n && isT68(s.charCodeAt(pos))) pos++;
      if (pos > save) {
        while (pos < n && s.charCodeAt(pos) === 61) pos++;
        const t68End = pos;
        skipWs();
        if (pos >= n || s.charCodeAt(pos) === 44) {
          current.token68 = s.slice(save, t68End);
          continue;
        }
      }
      pos = save;
    }
  }
  return out;
}

/** A character `quoteString` must escape (`"`, `\`) or refuse (controls other than HTAB, DEL). */
const NEEDS_QUOTING_WORK = /["\\\u0000-\u0008\u000a-\u001f\u007f]/;

/** Serializes a parameter value as an RFC 9110 quoted-string; undefined if it cannot be represented. */
export function quoteString(value: string): string | undefined {
  // Fast path: nothing to escape or refuse (base64url values, timestamps), one regex scan.
  if (!NEEDS_QUOTING_WORK.test(value)) return `"${value}"`;
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return undefined;
    if (c === 34 || c === 92) {
      out += `${value.slice(chunk, i)}\\`;
      chunk = i;
    }
  }
  return `${out}${value.slice(chunk)}"`;
}

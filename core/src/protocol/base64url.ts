import { MppError } from './errors.js';

/**
 * base64url (RFC 4648 §5) without padding, in plain JavaScript so the codec runs in browsers too.
 * Decoding is strict: every input has exactly one spelling (no line breaks, no standard alphabet,
 * no dangling characters, no non-zero trailing bits). Correct `=` padding is tolerated on input.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const utf8Encoder = new TextEncoder();

interface BufferLike {
  from(input: string | Uint8Array, encoding?: string): Uint8Array & { toString(encoding: string): string };
}
/** Node's Buffer when present: ~10× faster than the portable loops, used after strict validation. */
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
/** Alphabet check; padding is validated separately. */
const STRICT = /^[A-Za-z0-9_-]*$/;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function encodeBytes(bytes: Uint8Array, portable = false): string {
  if (NodeBuffer && !portable) return NodeBuffer.from(bytes).toString('base64url');
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]!;
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]!;
  }
  return out;
}

function invalid(why: string): MppError {
  return new MppError('bad-request', `Invalid base64url: ${why}`);
}

function decodeToBytes(text: string, portable = false): Uint8Array {
  if (typeof text !== 'string') throw invalid('not a string');
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) {
    // Padding is only acceptable as the exact tail of a length-multiple-of-four input.
    if (end % 4 !== 0) throw invalid('bad padding');
    end--;
    if (text.charCodeAt(end - 1) === 61) end--;
    if (text.charCodeAt(end - 1) === 61) throw invalid('bad padding');
  }
  const rem = end % 4;
  if (rem === 1) throw invalid('dangling character');
  if (NodeBuffer && !portable) {
    const body = end === text.length ? text : text.slice(0, end);
    if (!STRICT.test(body)) throw invalid('unexpected character');
    // Non-zero trailing bits give a second spelling of the same bytes; refuse it.
    if (rem === 2 && DECODE[body.charCodeAt(end - 1)]! & 15) throw invalid('non-zero trailing bits');
    if (rem === 3 && DECODE[body.charCodeAt(end - 1)]! & 3) throw invalid('non-zero trailing bits');
    const buf = NodeBuffer.from(body, 'base64url');
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const out = new Uint8Array((end * 3) >> 2);
  let o = 0;
  let i = 0;
  const at = (k: number): number => {
    const c = text.charCodeAt(k);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) throw invalid(`unexpected character at ${k}`);
    return v;
  };
  for (; i + 3 < end; i += 4) {
    const v = (at(i) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (rem === 2) {
    const a = at(i);
    const b = at(i + 1);
    if (b & 15) throw invalid('non-zero trailing bits');
    out[o++] = (a << 2) | (b >> 4);
  } else if (rem === 3) {
    const a = at(i);
    const b = at(i + 1);
    const c = at(i + 2);
    if (c & 3) throw invalid('non-zero trailing bits');
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
  }
  return o === out.length ? out : out.subarray(0, o);
}

/** Strict base64url codec (no padding on output). */
export const base64url = {
  /** Encodes bytes, or a string as its UTF-8 bytes. */
  encode(input: Uint8Array | string): string {
    if (NodeBuffer) return NodeBuffer.from(input as string, 'utf8').toString('base64url');
    return encodeBytes(typeof input === 'string' ? utf8Encoder.encode(input) : input);
  },
  /** Decodes to bytes; throws `MppError('bad-request')` on any non-canonical input. */
  decode(text: string): Uint8Array {
    return decodeToBytes(text);
  },
  /** Decodes and reads the bytes as UTF-8 text (invalid UTF-8 is an error). */
  decodeText(text: string): string {
    const bytes = decodeToBytes(text);
    try {
      return utf8Decoder.decode(bytes);
    } catch (error) {
      if (error instanceof MppError) throw error;
      throw invalid('not UTF-8');
    }
  },
  /** True when `text` decodes without error. */
  isValid(text: string): boolean {
    try {
      decodeToBytes(text);
      return true;
    } catch {
      return false;
    }
  },
};

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** @internal The portable (browser) code paths, exported so tests can check them against Node's. */
export const base64urlPortable = {
  encode: (bytes: Uint8Array): string => encodeBytes(bytes, true),
  decode: (text: string): Uint8Array => decodeToBytes(text, true),
};

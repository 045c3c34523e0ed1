/**
 * Synchronous SHA-256, HMAC-SHA256 and constant-time comparison.
 *
 * On Node (and Bun, Deno) this is `node:crypto`, reached through `process.getBuiltinModule` so the
 * protocol module has no static `node:` import and still loads in a browser. There, a small
 * pure-JavaScript SHA-256 takes over (WebCrypto is async, and the codec API is synchronous).
 */

import { base64url } from './base64url.js';

interface Digest {
  digest(): Uint8Array;
  digest(encoding: 'base64url'): string;
}

interface NodeCryptoSubset {
  createHash(alg: 'sha256'): { update(data: Uint8Array | string): Digest };
  createHmac(alg: 'sha256', key: Uint8Array | string): { update(data: Uint8Array | string): Digest };
  /** One-shot hash (Node ≥ 20.12): no Hash object per call. */
  hash?(alg: 'sha256', data: Uint8Array | string, encoding: 'base64url' | 'latin1'): string;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

interface NodeBufferSubset {
  from(text: string, encoding: 'latin1'): Uint8Array;
  byteLength(text: string): number;
}

const builtin = <T>(id: string): T | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
};

const nodeCrypto = builtin<NodeCryptoSubset>('node:crypto');
const nodeBuffer = builtin<{ Buffer: NodeBufferSubset }>('node:buffer')?.Buffer;

const encoder = new TextEncoder();
const toBytes = (data: Uint8Array | string): Uint8Array =>
  typeof data === 'string' ? encoder.encode(data) : data;

/** SHA-256 digest of bytes (or a string's UTF-8 bytes). */
export function sha256(data: Uint8Array | string): Uint8Array {
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash('sha256').update(data).digest());
  return sha256js(toBytes(data));
}

/**
 * base64url (no padding) of SHA-256, straight from node:crypto's encoder: the request hash runs on
 * every protected request, and the one-shot hash saves the Hash object and two byte copies.
 */
export function sha256Base64url(data: Uint8Array | string): string {
  if (nodeCrypto?.hash) return nodeCrypto.hash('sha256', data, 'base64url');
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(data).digest('base64url');
  return base64url.encode(sha256js(toBytes(data)));
}

/**
 * base64url (no padding) of HMAC-SHA256 (challenge ids: every 402 and every verification). ASCII
 * data — all an id's input is, but for an exotic realm — takes RFC 2104 over two one-shot hashes
 * with the key's pads prepared once, about two thirds of the cost of an `Hmac` object per call.
 */
export function hmacSha256Base64url(key: Uint8Array | string, data: Uint8Array | string): string {
  const hash = nodeCrypto?.hash;
  if (hash && nodeBuffer && typeof data === 'string' && nodeBuffer.byteLength(data) === data.length) {
    // latin1 strings carry the pads' bytes as they are; ASCII data is the same bytes in latin1 and UTF-8.
    const [inner, outer] = padsOf(key);
    const innerHash = hash('sha256', nodeBuffer.from(inner + data, 'latin1'), 'latin1');
    return hash('sha256', nodeBuffer.from(outer + innerHash, 'latin1'), 'base64url');
  }
  if (nodeCrypto) return nodeCrypto.createHmac('sha256', key).update(data).digest('base64url');
  return base64url.encode(hmacSha256(key, data));
}

/** RFC 2104's `K ⊕ ipad` and `K ⊕ opad` as latin1 strings, per key (secrets are few and long-lived). */
const padsByBytes = new WeakMap<Uint8Array, readonly [string, string]>();
const padsByText = new Map<string, readonly [string, string]>();

function padsOf(key: Uint8Array | string): readonly [string, string] {
  const known = typeof key === 'string' ? padsByText.get(key) : padsByBytes.get(key);
  if (known) return known;
  let k = toBytes(key);
  if (k.length > 64) k = sha256(k);
  let inner = '';
  let outer = '';
  for (let i = 0; i < 64; i++) {
    const b = k[i] ?? 0;
    inner += String.fromCharCode(b ^ 0x36);
    outer += String.fromCharCode(b ^ 0x5c);
  }
  const pads = [inner, outer] as const;
  if (typeof key !== 'string') padsByBytes.set(key, pads);
  else {
    // Bounded: string keys come from callers of the protocol functions, not only the engine.
    if (padsByText.size >= 32) padsByText.clear();
    padsByText.set(key, pads);
  }
  return pads;
}

/** HMAC-SHA256 with a key given as bytes or as a string's UTF-8 bytes. */
export function hmacSha256(key: Uint8Array | string, data: Uint8Array | string): Uint8Array {
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHmac('sha256', key).update(data).digest());
  let k = toBytes(key);
  if (k.length > 64) k = sha256js(k);
  const ipad = new Uint8Array(64 + 0);
  const opad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    const b = k[i] ?? 0;
    ipad[i] = b ^ 0x36;
    opad[i] = b ^ 0x5c;
  }
  const msg = toBytes(data);
  const inner = new Uint8Array(64 + msg.length);
  inner.set(ipad);
  inner.set(msg, 64);
  const ih = sha256js(inner);
  const outer = new Uint8Array(64 + 32);
  outer.set(opad);
  outer.set(ih, 64);
  return sha256js(outer);
}

/**
 * Constant-time equality of two byte strings. Inputs of different length compare unequal without
 * an early exit on content; callers compare fixed-length digests so length leaks nothing secret.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (nodeCrypto) return nodeCrypto.timingSafeEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Compares two strings in constant time by comparing their SHA-256 digests (equal length by
 * construction), so neither content nor length of the secret side leaks through timing.
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

// --- pure-JS SHA-256 (FIPS 180-4), used only where node:crypto is unavailable ---------------------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** @internal Exported for tests that check the fallback against node:crypto. */
export function sha256js(msg: Uint8Array): Uint8Array {
  const len = msg.length;
  const total = ((len + 9 + 63) >> 6) << 6;
  const buf = new Uint8Array(total);
  buf.set(msg);
  buf[len] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(total - 8, Math.floor(len / 0x20000000), false);
  view.setUint32(total - 4, (len << 3) >>> 0, false);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4, false);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as unknown as number[];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e! >>> 6) | (e! << 26)) ^ ((e! >>> 11) | (e! << 21)) ^ ((e! >>> 25) | (e! << 7));
      const ch = (e! & f!) ^ (~e! & g!);
      const t1 = (hh! + S1 + ch + K[i]! + w[i]!) >>> 0;
      const S0 = ((a! >>> 2) | (a! << 30)) ^ ((a! >>> 13) | (a! << 19)) ^ ((a! >>> 22) | (a! << 10));
      const maj = (a! & b!) ^ (a! & c!) ^ (b! & c!);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d! + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a!) >>> 0;
    h[1] = (h[1]! + b!) >>> 0;
    h[2] = (h[2]! + c!) >>> 0;
    h[3] = (h[3]! + d!) >>> 0;
    h[4] = (h[4]! + e!) >>> 0;
    h[5] = (h[5]! + f!) >>> 0;
    h[6] = (h[6]! + g!) >>> 0;
    h[7] = (h[7]! + hh!) >>> 0;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]!, false);
  return out;
}

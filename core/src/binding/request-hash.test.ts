import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalRequest, requestHash } from './request-hash.js';

const { vectors } = JSON.parse(
  readFileSync(new URL('../../test/vectors/request-hash.json', import.meta.url), 'utf8'),
);
const enc = new TextEncoder();

describe('request hash vectors (docs/spec/request-hash.md)', () => {
  for (const v of vectors) {
    it(v.name, () => {
      const input = {
        method: v.method,
        target: v.target,
        body: v.body === undefined ? undefined : enc.encode(v.body),
      };
      expect(canonicalRequest(input)).toBe(v.canonical);
      expect(requestHash(input)).toBe(v.hash);
    });
  }
});

describe('request hash binding', () => {
  it('a different query value changes the hash', () => {
    expect(requestHash({ method: 'GET', target: '/forecast?zip=94103' })).not.toBe(
      requestHash({ method: 'GET', target: '/forecast?zip=10001' }),
    );
  });
  it('query key order does not change the hash, repeated-key order does', () => {
    expect(requestHash({ method: 'GET', target: '/x?a=1&b=2' })).toBe(
      requestHash({ method: 'GET', target: '/x?b=2&a=1' }),
    );
    expect(requestHash({ method: 'GET', target: '/x?a=1&a=2' })).not.toBe(
      requestHash({ method: 'GET', target: '/x?a=2&a=1' }),
    );
  });
});

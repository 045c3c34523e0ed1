import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  base64url,
  canonicalizeJson,
  challengeIdInput,
  computeChallengeId,
  formatChallenge,
  formatCredential,
  formatReceipt,
  MppError,
  parseChallenges,
  parseCredential,
  parseJson,
  parseReceipt,
} from './index.js';

/** Aperture's cross-implementation wire vectors, each one a named test through the public API. */
const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/aperture-mpp-vectors.json', import.meta.url), 'utf8'),
);
const secret = Buffer.from(vectors.hmacSecretHex, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('aperture vectors: canonicalization', () => {
  for (const v of vectors.canonicalization) {
    it(v.name, () => {
      if (v.error) expect(() => canonicalizeJson(v.input)).toThrow(MppError);
      else expect(canonicalizeJson(v.input)).toBe(v.canonical);
    });
  }
});

describe('aperture vectors: base64url', () => {
  for (const v of vectors.base64url) {
    it(v.name, () => {
      if (v.error) {
        expect(() => base64url.decode(v.encoded)).toThrow(MppError);
        return;
      }
      const bytes = base64url.decode(v.encoded);
      expect(hex(bytes)).toBe(v.decodedHex ?? '');
      // Canonical spellings are what the encoder produces; padded ones decode but are never emitted.
      if (v.canonical) expect(base64url.encode(bytes)).toBe(v.encoded);
      else expect(base64url.encode(bytes)).not.toBe(v.encoded);
    });
  }
});

describe('aperture vectors: challengeHeaders', () => {
  for (const v of vectors.challengeHeaders) {
    it(v.name, () => {
      expect(formatChallenge(v.params)).toBe(v.header);
      expect(parseChallenges(v.header)).toEqual([v.parsed]);
    });
  }
});

describe('aperture vectors: challengeLists', () => {
  for (const v of vectors.challengeLists) {
    it(v.name, () => {
      if (v.error) expect(() => parseChallenges(v.header)).toThrow(MppError);
      else expect(parseChallenges(v.header)).toEqual(v.challenges);
    });
  }
});

describe('aperture vectors: challengeIds', () => {
  for (const v of vectors.challengeIds) {
    it(v.name, () => {
      expect(challengeIdInput(v.params)).toBe(v.hmacInput);
      expect(computeChallengeId(secret, v.params)).toBe(v.params.id);
    });
  }
});

describe('aperture vectors: credentials', () => {
  for (const v of vectors.credentials) {
    it(v.name, () => {
      if (v.error) {
        expect(() => parseCredential(v.header)).toThrow(MppError);
        return;
      }
      const parsed = parseCredential(v.header);
      expect(parsed).toEqual(JSON.parse(v.credentialJson));
      // The canonical-case header round-trips byte for byte.
      expect(formatCredential(parsed)).toBe(v.header.replace(/^payment /, 'Payment '));
    });
  }
});

describe('aperture vectors: receipts', () => {
  for (const v of vectors.receipts) {
    it(v.name, () => {
      const parsed = parseReceipt(v.header);
      expect(parsed).toEqual(parseJson(v.receiptJson));
      expect(formatReceipt(parsed)).toBe(v.header);
      expect(formatReceipt(parseJson(v.receiptJson) as never)).toBe(v.header);
    });
  }
});

it('the vector file holds 79 entries', () => {
  const n = [
    'canonicalization',
    'base64url',
    'challengeHeaders',
    'challengeLists',
    'challengeIds',
    'credentials',
    'receipts',
  ]
    .map((k) => vectors[k].length)
    .reduce((a: number, b: number) => a + b, 0);
  expect(n).toBe(79);
});

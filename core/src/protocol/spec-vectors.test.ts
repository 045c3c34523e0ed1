import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  base64url,
  canonicalize,
  challengeIdInput,
  computeChallengeId,
  contentDigest,
  digestMatches,
} from './index.js';

/** Deterministic vectors of the Payment scheme drafts and mppx's published HMAC set. */
const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/spec-vectors.json', import.meta.url), 'utf8'),
);

describe('spec vectors: challenge-id HMAC (V-HMAC-M, V-HMAC-E, V-HMAC-S)', () => {
  for (const v of vectors.hmac) {
    it(`V-HMAC-${v.name}`, () => {
      if (v.input) expect(challengeIdInput(v.params)).toBe(v.input);
      expect(computeChallengeId(v.secret, v.params)).toBe(v.id);
      if (v.requestObject) expect(base64url.encode(canonicalize(v.requestObject))).toBe(v.params.request);
      if (v.opaqueObject) expect(base64url.encode(canonicalize(v.opaqueObject))).toBe(v.params.opaque);
    });
  }
  it('R60: a header-less -01 id equals the -00 id (no trailing slot)', () => {
    const p = vectors.hmac.find((v: { name: string }) => v.name.startsWith('S1')).params;
    expect(challengeIdInput({ ...p, header: undefined })).toBe(challengeIdInput(p));
    expect(challengeIdInput(p).split('|')).toHaveLength(7);
    expect(challengeIdInput({ ...p, header: 'Payment-Authorization' }).split('|')).toHaveLength(8);
  });
});

describe('spec vectors: RFC 9530 digest (V-DIGEST)', () => {
  for (const v of vectors.digest) {
    it(v.name, () => {
      expect(contentDigest(v.body)).toBe(v.digest);
      expect(digestMatches(v.digest, v.body)).toBe(true);
      if (v.mppxForm) expect(digestMatches(v.mppxForm, v.body)).toBe(true);
      expect(digestMatches(v.digest, `${v.body} `)).toBe(false);
    });
  }
});

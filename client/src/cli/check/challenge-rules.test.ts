import { base64url, type Challenge, formatChallenge } from '@hit-pay/mpp/protocol';
import { describe, expect, it } from 'vitest';
import {
  challengeIssues,
  expiresIssues,
  identityIssues,
  lineIssues,
  methodNameWarnings,
  opaqueIssues,
  requestIssues,
} from './challenge-rules.js';
import type { RawResponse } from './http.js';

const b64 = (text: string) => base64url.encode(text);
const good: Challenge = {
  id: 'x'.repeat(43),
  realm: 'api.example.com',
  method: 'hitpay',
  intent: 'charge',
  request: b64('{"amount":"100","currency":"sgd"}'),
  expires: '2099-01-01T00:00:00Z',
};

function response(lines: string[]): RawResponse {
  const all = lines.map((l) => ['www-authenticate', l] as const);
  return {
    status: 402,
    lines: all,
    body: Buffer.from(''),
    all: (name) => (name === 'www-authenticate' ? lines : []),
    header: (name) => (name === 'www-authenticate' ? lines.join(', ') : undefined),
  };
}

describe('challenge rules (findings, not assertions)', () => {
  it('a well-formed challenge has none', () => {
    expect(challengeIssues(response([formatChallenge(good)]))).toEqual([]);
  });
  it('R4–R7: method and intent', () => {
    expect(identityIssues({ ...good, method: 'Hitpay2', intent: 'buy' })).toEqual([
      'method "Hitpay2" is not 1*LOWERALPHA (R6)',
      'intent "buy" is not a registered intent (R7)',
    ]);
    expect(identityIssues({ ...good, method: '-save' })).toEqual(['method "-save" is not 1*LOWERALPHA (R6)']);
  });
  it('R6: a hyphenated lower-case method is a warning, not a failure', () => {
    const saved = { ...good, method: 'hitpay-save' };
    expect(identityIssues(saved)).toEqual([]);
    expect(methodNameWarnings(saved)).toEqual([
      'method "hitpay-save" has a hyphen: outside the drafts\' 1*LOWERALPHA, strict clients may skip it (R6)',
    ]);
    expect(methodNameWarnings(good)).toEqual([]);
  });
  it('R8, R13, R14: encoding, JCS, shape and units of the request', () => {
    expect(requestIssues({ ...good, request: `${good.request}=` })).toEqual([
      'request is not unpadded base64url (R8)',
    ]);
    expect(requestIssues({ ...good, request: b64('{"currency":"sgd","amount":"100"}') })).toEqual([
      'request is not JCS-canonical JSON (R8)',
    ]);
    expect(
      requestIssues({
        ...good,
        request: b64('{"amount":"1.00","currency":"SGD","expires":"x","recipient":1}'),
      }),
    ).toEqual([
      'request.amount "1.00" is not in base units (R14)',
      'request.currency "SGD" is not lower-case ISO 4217 (R14)',
      'request.recipient is not a string (R13)',
      'the charge request carries its own expires (R13)',
    ]);
  });
  it('R9: opaque values are strings', () => {
    expect(opaqueIssues({ ...good, opaque: b64('{"n":1}') })).toEqual(['opaque has non-string values (R9)']);
  });
  it('R10: expires is RFC 3339 and in the future', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(expiresIssues({ ...good, expires: undefined }, now)).toEqual(['no expires (R10)']);
    expect(expiresIssues({ ...good, expires: 'tomorrow' }, now)).toEqual([
      'expires "tomorrow" is not RFC 3339 (R10)',
    ]);
    expect(expiresIssues({ ...good, expires: '2025-01-01T00:00:00Z' }, now)[0]).toMatch(/not in the future/);
  });
  it('R12: names outside quoted values are lower-case; lines stay under 8 KB', () => {
    expect(lineIssues('Payment id="a", Realm="r", description="x, Fake=1"')).toEqual([
      'parameter "Realm" is not lower-case (R12)',
    ]);
    expect(lineIssues(`Payment id="${'a'.repeat(8200)}"`)[0]).toMatch(/over 8 KB/);
  });
  it('R15: two challenges with one id', () => {
    const line = formatChallenge(good);
    expect(challengeIssues(response([line, line]))).toEqual(['two challenges share an id (R15)']);
  });
  it('a Payment line with no complete challenge', () => {
    expect(challengeIssues(response(['Payment realm="r"']))).toContain(
      'no complete Payment challenge (R4–R8)',
    );
  });
});

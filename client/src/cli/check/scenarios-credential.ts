import { base64url, type Challenge, canonicalize, PAYMENT_AUTHORIZATION } from '@hit-pay/mpp/protocol';
import { challengesOf } from './challenge-rules.js';
import { problemType } from './http.js';
import { check, failIf, type Scenario, Skip } from './scenario.js';

const b64 = (text: string) => `Payment ${base64url.encode(text)}`;

/** The same request object at a price of one minor unit (what a cheating client would send). */
function cheaper(c: Challenge): string {
  const r = JSON.parse(base64url.decodeText(c.request)) as Record<string, unknown>;
  return base64url.encode(canonicalize({ ...r, amount: '1' }));
}

/** One echoed member changed, added or dropped: the server must refuse it as `invalid-challenge`. */
function tamperScenario(
  name: string,
  requirements: string[],
  tamper: (c: Challenge) => Record<string, string | null> | string,
): Scenario {
  return {
    name,
    requirements: ['R25', ...requirements],
    async run(t) {
      const c = await t.challenge();
      const change = tamper(c);
      if (typeof change === 'string') throw new Skip(change);
      // Authorization, so that the binding (not the field, R56) is what refuses an added `header`.
      const x = await t.send(name, { credential: t.credential(c, change), field: 'authorization' });
      failIf(await t.refusal(x, 'invalid-challenge'));
      return undefined;
    },
  };
}

/** Refusals of credentials that are malformed, foreign, tampered or misplaced: R23–R25, R33–R38, R54–R58. */
export const credentialScenarios: Scenario[] = [
  {
    name: 'malformed credentials are refused as malformed',
    requirements: ['R23'],
    async run(t) {
      const c = await t.challenge();
      const { id, realm, method, intent, request } = c;
      const cases: [string, string][] = [
        ['not base64url', 'Payment !!!'],
        ['base64url of no JSON', 'Payment e29vcHN9'],
        ['JSON that is not an object', b64('[]')],
        ['no challenge member', b64('{"payload":{}}')],
        ['no payload member', b64(JSON.stringify({ challenge: { id, realm, method, intent, request } }))],
        ['an empty challenge', b64('{"challenge":{},"payload":{}}')],
        ['the scheme alone', 'Payment'],
      ];
      const issues: string[] = [];
      for (const [label, value] of cases) {
        issues.push(...(await t.refusal(await t.send(label, { credential: value }), 'malformed-credential')));
      }
      failIf(issues);
      return `${cases.length} kinds`;
    },
  },
  {
    name: 'an 8 KB garbage credential is refused as malformed',
    requirements: ['R23', 'R34'],
    async run(t) {
      const x = await t.send('8 KB of garbage', { credential: `Payment ${'A'.repeat(8184)}` });
      failIf(await t.refusal(x, 'malformed-credential'));
      return undefined;
    },
  },
  {
    name: '8 KB with unknown members reaches the proof check',
    requirements: ['R34', 'R35'],
    async run(t) {
      const c = await t.challenge();
      const echo = { ...c, 'x-unknown': 'ignored' };
      const padding = 'p'.repeat(6000);
      const payload = { payment_request_id: 'mpp-test-unpaid', 'x-unknown': 1, padding };
      const credential = b64(JSON.stringify({ challenge: echo, payload, 'x-unknown': { nested: true } }));
      const x = await t.send('8 KB with unknown members', { credential });
      const problem = problemType(x.res);
      check(x.res.status !== 413 && x.res.status !== 431, `refused for its size (${x.res.status})`);
      check(
        !['malformed-credential', 'invalid-challenge'].includes(problem ?? ''),
        `refused as ${problem} (${credential.length} bytes)`,
      );
      return `${credential.length} bytes → ${x.res.status} ${problem ?? ''}`;
    },
  },
  {
    name: 'an id this server never issued is refused',
    requirements: ['R24'],
    async run(t) {
      const c = await t.challenge();
      const x = await t.send('a forged id', { credential: t.credential(c, { id: 'A'.repeat(43) }) });
      failIf(await t.refusal(x, 'invalid-challenge'));
      return undefined;
    },
  },
  tamperScenario('a tampered realm is refused', [], () => ({ realm: 'evil.example' })),
  tamperScenario('a tampered request (a lower price) is refused', ['R41'], (c) => ({ request: cheaper(c) })),
  tamperScenario('a later expires is refused', [], () => ({ expires: '2099-01-01T00:00:00Z' })),
  tamperScenario('a dropped expires is refused', [], (c) =>
    c.expires === undefined ? 'the challenge has no expires' : { expires: null },
  ),
  tamperScenario('a tampered opaque is refused', ['R58'], () => ({
    opaque: base64url.encode('{"rh":"tampered"}'),
  })),
  tamperScenario('a dropped opaque is refused', ['R58'], (c) =>
    c.opaque === undefined ? 'the challenge has no opaque' : { opaque: null },
  ),
  tamperScenario('an added or changed digest is refused', [], () => ({
    digest: 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
  })),
  tamperScenario('an added header parameter is refused', ['R55'], (c) =>
    c.header !== undefined
      ? 'the challenge selects a header (see the -01 scenario)'
      : { header: PAYMENT_AUTHORIZATION },
  ),
  {
    name: 'a changed or dropped description passes the binding',
    requirements: ['R36'],
    async run(t) {
      // Paid, the full check runs in the paid scenarios; unpaid, the binding must still hold.
      const c = await t.challenge();
      const issues: string[] = [];
      for (const tamper of [{ description: 'something else' }, { description: null }]) {
        const label = tamper.description === null ? 'description dropped' : 'description changed';
        const x = await t.send(label, { credential: t.credential(c, tamper) });
        const problem = problemType(x.res);
        if (x.res.status === 402 && (problem === 'invalid-challenge' || problem === 'malformed-credential'))
          issues.push(`${label}: refused as ${problem}`);
      }
      failIf(issues);
      return t.sandbox
        ? 'the binding holds (paid: see below)'
        : 'the binding holds (unpaid: --sandbox pays it)';
    },
  },
  {
    name: 'a method the route does not offer is refused with 400',
    requirements: ['R38'],
    async run(t) {
      const c = await t.challenge();
      const x = await t.send('method "unoffered"', { credential: t.credential(c, { method: 'unoffered' }) });
      failIf(await t.refusal(x, 'method-unsupported', 400));
      return undefined;
    },
  },
  {
    name: 'two credentials in one request are refused with 400',
    requirements: ['R33'],
    async run(t) {
      const c = await t.challenge();
      const value = t.credential(c);
      const issues: string[] = [];
      const cases: [string, Record<string, string | string[]>][] = [
        ['two Authorization lines', { authorization: [value, value] }],
        ['Authorization and Payment-Authorization', { authorization: value, 'payment-authorization': value }],
      ];
      for (const [label, headers] of cases) {
        const x = await t.send(label, { headers });
        if (x.res.status !== 400) issues.push(`${label}: got ${x.res.status} ${problemType(x.res) ?? ''}`);
      }
      failIf(issues);
      return undefined;
    },
  },
  {
    name: 'a default challenge is refused in Payment-Authorization',
    requirements: ['R56'],
    async run(t) {
      const c = await t.challenge();
      if (c.header !== undefined) throw new Skip('the challenge selects Payment-Authorization (see -01)');
      const x = await t.send('in Payment-Authorization', {
        credential: t.credential(c),
        field: 'payment-authorization',
      });
      failIf(await t.refusal(x, 'invalid-challenge'));
      return undefined;
    },
  },
  {
    name: 'the challenge selects Payment-Authorization (-01)',
    requirements: ['R54', 'R55', 'R56', 'R57'],
    async run(t) {
      const c = await t.challenge();
      if (c.header === undefined)
        throw new Skip(
          'the challenge has no header parameter (the server runs without -01 Payment-Authorization)',
        );
      check(c.header === PAYMENT_AUTHORIZATION, `header="${c.header}" (R54)`);
      const issues: string[] = [];
      const inAuthorization = await t.send('in Authorization', {
        credential: t.credential(c),
        field: 'authorization',
      });
      issues.push(...(await t.refusal(inAuthorization, 'invalid-challenge')));
      const dropped = await t.send('header dropped, in Payment-Authorization', {
        credential: t.credential(c, { header: null }),
        field: 'payment-authorization',
      });
      issues.push(...(await t.refusal(dropped, 'invalid-challenge')));
      const cc = dropped.res.header('cache-control') ?? '';
      if (!/private|no-store/i.test(cc))
        issues.push(`a Payment-Authorization request answered "${cc}" (R57)`);
      failIf(issues);
      return undefined;
    },
  },
  {
    name: 'a body that differs from the challenged one is refused',
    requirements: ['R31'],
    async run(t) {
      if (!t.body?.length) throw new Skip('the request has no body (give -X POST -d …)');
      const c = await t.challenge();
      const body = Buffer.concat([t.body, Buffer.from(' ')]);
      const x = await t.send('another body', { credential: t.credential(c), body });
      failIf(await t.refusal(x, ['verification-failed', 'invalid-challenge']));
      check(challengesOf(x.res).length > 0, 'no fresh challenge');
      return undefined;
    },
  },
];

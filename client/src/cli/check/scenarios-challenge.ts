import { displayAmount } from '@hit-pay/mpp';
import { base64url, type Challenge, contentDigest } from '@hit-pay/mpp/protocol';
import {
  challengesOf,
  expiresIssues,
  identityIssues,
  lineIssues,
  methodNameWarnings,
  opaqueIssues,
  paymentLines,
  requestIssues,
  serverNow,
} from './challenge-rules.js';
import { jsonBody, problemType } from './http.js';
import type { Probe } from './probe.js';
import { check, failIf, type Scenario, Skip, summarize, Warn } from './scenario.js';

/** The challenges of the first unpaid 402 (the runner only starts scenarios when there are some). */
function offered(t: Probe): Challenge[] {
  return t.first ? challengesOf(t.first.res) : [];
}

function price(c: Challenge): string {
  try {
    const r = JSON.parse(base64url.decodeText(c.request)) as { amount?: string; currency?: string };
    return displayAmount(String(r.amount), String(r.currency));
  } catch {
    return '?';
  }
}

const methods = (list: readonly Challenge[]) => list.map((c) => c.method).join(', ');

/** The 402 itself and every rule of its challenges: R1–R16, R19–R22, R53, CORS. */
export const challengeScenarios: Scenario[] = [
  {
    name: 'an unpaid request gets 402 with a Payment challenge',
    requirements: ['R1'],
    async run(t) {
      const res = t.first!.res;
      check(res.status === 402, `the unpaid request got ${res.status}`);
      const list = challengesOf(res);
      check(list.length > 0, 'the 402 has no WWW-Authenticate: Payment challenge');
      return `402 · ${list.map((c) => `${c.method} ${price(c)}`).join(', ')}`;
    },
  },
  {
    name: 'the 402 is never stored',
    requirements: ['R3'],
    async run(t) {
      const cc = t.first!.res.header('cache-control');
      check(/(^|,)\s*no-store\s*(,|$)/i.test(cc ?? ''), `Cache-Control is ${cc ? `"${cc}"` : 'missing'}`);
      return `Cache-Control: ${cc}`;
    },
  },
  {
    name: 'id, realm, method and intent are well-formed',
    requirements: ['R4', 'R5', 'R6', 'R7'],
    async run(t) {
      failIf(offered(t).flatMap(identityIssues));
      const warnings = offered(t).flatMap(methodNameWarnings);
      if (warnings.length > 0) throw new Warn(summarize(warnings));
      return offered(t)
        .map((c) => `${c.method}/${c.intent} realm "${c.realm}"`)
        .join(', ');
    },
  },
  {
    name: 'request is base64url(JCS) of a charge in minor units',
    requirements: ['R8', 'R13', 'R14'],
    async run(t) {
      failIf(offered(t).flatMap(requestIssues));
      return undefined;
    },
  },
  {
    name: 'opaque is base64url(JCS) of string values',
    requirements: ['R9'],
    async run(t) {
      if (!offered(t).some((c) => c.opaque !== undefined)) throw new Skip('no challenge carries opaque');
      failIf(offered(t).flatMap(opaqueIssues));
      return undefined;
    },
  },
  {
    name: 'expires is an RFC 3339 time in the future',
    requirements: ['R10'],
    async run(t) {
      const now = serverNow(t.first!.res);
      failIf(offered(t).flatMap((c) => expiresIssues(c, now)));
      return `expires ${offered(t)[0]!.expires} (${Math.round((Date.parse(offered(t)[0]!.expires!) - now) / 60_000)} min)`;
    },
  },
  {
    name: 'a request body is bound by its RFC 9530 digest',
    requirements: ['R11'],
    async run(t) {
      if (!t.body?.length) throw new Skip('the request has no body (give -X POST -d …)');
      const want = contentDigest(t.body);
      // hitpay-save challenges are route-level and reusable by design: they bind no body.
      const bound = offered(t).filter((c) => c.method !== 'hitpay-save');
      failIf(
        bound.filter((c) => c.digest !== want).map((c) => `${c.method}: digest ${c.digest ?? 'missing'}`),
      );
      return want;
    },
  },
  {
    name: 'lower-case parameter names; a challenge under 8 KB',
    requirements: ['R12'],
    async run(t) {
      const lines = paymentLines(t.first!.res);
      failIf(lines.flatMap(lineIssues));
      return `${Math.max(...lines.map((l) => l.length))} bytes`;
    },
  },
  {
    name: 'several challenges have distinct ids',
    requirements: ['R15'],
    async run(t) {
      const list = offered(t);
      if (list.length < 2) throw new Skip(`one challenge offered (${methods(list)})`);
      check(new Set(list.map((c) => c.id)).size === list.length, 'two challenges share an id');
      return `${list.length} challenges`;
    },
  },
  {
    name: 'the 402 is an RFC 9457 payment-required problem',
    requirements: ['R16'],
    async run(t) {
      const res = t.first!.res;
      const ct = res.header('content-type') ?? '';
      check(/^application\/problem\+json/i.test(ct), `Content-Type is "${ct}"`);
      const body = jsonBody(res);
      check(body?.status === 402, `problem status is ${String(body?.status)}`);
      check(
        body?.type === 'https://paymentauth.org/problems/payment-required',
        `problem type is ${String(body?.type)}`,
      );
      return undefined;
    },
  },
  {
    name: 'HEAD is gated like GET',
    requirements: ['R1', 'R2', 'R3'],
    async run(t) {
      if (t.method !== 'GET') throw new Skip(`the target is ${t.method}`);
      const x = await t.send('HEAD', { method: 'HEAD' });
      check(x.res.status === 402, `HEAD got ${x.res.status}`);
      check(challengesOf(x.res).length > 0, 'the HEAD 402 has no Payment challenge');
      check(/no-store/i.test(x.res.header('cache-control') ?? ''), 'the HEAD 402 is not no-store');
      return undefined;
    },
  },
  {
    name: 'challenges are sent only over TLS',
    requirements: ['R19'],
    async run(t) {
      if (t.url.protocol === 'https:') return 'https';
      throw new Warn('challenges over plain http:// (fine for local development only)');
    },
  },
  {
    name: 'a malformed or unmatched Accept-Payment is ignored',
    requirements: ['R22'],
    async run(t) {
      const want = methods(offered(t));
      const issues: string[] = [];
      for (const value of ['foo//bar;;q=x', 'nomethod/*']) {
        const x = await t.send(`Accept-Payment: ${value}`, { headers: { 'accept-payment': value } });
        if (x.res.status !== 402) issues.push(`${x.label}: got ${x.res.status}`);
        else if (methods(challengesOf(x.res)) !== want)
          issues.push(`${x.label}: offered ${methods(challengesOf(x.res))}, not ${want}`);
      }
      failIf(issues);
      return undefined;
    },
  },
  {
    name: 'Accept-Payment filters and orders the challenges',
    requirements: ['R20', 'R21'],
    async run(t) {
      const list = offered(t);
      if (list.length < 2)
        throw new Skip(`one method offered (${methods(list)}): nothing to filter or order`);
      const [a, b] = [list[0]!.method, list[1]!.method];
      const issues: string[] = [];
      const cases: [string, (got: string[]) => boolean, string][] = [
        [`${b}/charge, ${a}/*;q=0.5`, (got) => got[0] === b && got[1] === a, `${b} before ${a}`],
        [`${a}/*;q=0, */*`, (got) => got.length > 0 && !got.includes(a), `without ${a}`],
      ];
      for (const [value, ok, what] of cases) {
        const x = await t.send(`Accept-Payment: ${value}`, { headers: { 'accept-payment': value } });
        const got = challengesOf(x.res).map((c) => c.method);
        if (x.res.status !== 402 || !ok(got)) issues.push(`${x.label}: got ${got.join(', ')}, want ${what}`);
      }
      failIf(issues);
      return `default: ${methods(list)}`;
    },
  },
  {
    name: 'a pending payment keeps its challenge, with Retry-After',
    requirements: ['R53'],
    async run(t) {
      if (!offered(t).some((c) => c.method === 'hitpay')) throw new Skip('no hitpay challenge offered');
      const c = await t.challenge();
      const x = await t.send('a credential for an unpaid checkout', { credential: t.credential(c) });
      failIf(await t.refusal(x, ['payment-action-required', 'verification-failed']));
      if (problemType(x.res) !== 'payment-action-required') return `answered ${problemType(x.res)}`;
      check(x.res.header('retry-after') !== undefined, 'payment-action-required without Retry-After');
      check(challengesOf(x.res)[0]?.id === c.id, 'the pending challenge was not re-issued as is');
      return `Retry-After: ${x.res.header('retry-after')}`;
    },
  },
  {
    name: 'cross-origin agents can read the challenge',
    requirements: ['CORS'],
    async run(t) {
      const x = await t.send('with an Origin', { headers: { origin: 'https://agent.example' } });
      const expose = x.res.header('access-control-expose-headers');
      const allow = x.res.header('access-control-allow-origin');
      const exposed = expose !== undefined && (expose.trim() === '*' || /www-authenticate/i.test(expose));
      if (!exposed && allow === undefined)
        throw new Warn('no CORS headers for an Origin: browser agents on other origins cannot read the 402');
      check(exposed, `Access-Control-Expose-Headers is "${expose ?? ''}" (needs WWW-Authenticate)`);
      return `exposed: ${expose}${allow === undefined ? ' (no Access-Control-Allow-Origin: the app’s CORS)' : ''}`;
    },
  },
];

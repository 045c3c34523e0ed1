import { base64url, type Challenge, isSuccessReceipt, parseReceipt } from '@hit-pay/mpp/protocol';
import { sleep } from '../../poll.js';
import { brokerKeys, verifyPaymentReceipt } from '../../receipts.js';
import { challengesOf } from './challenge-rules.js';
import { problemType } from './http.js';
import { payInSandbox } from './pay.js';
import type { Exchange, Probe } from './probe.js';
import { check, Failure, failIf, type Scenario, Skip } from './scenario.js';

/** A paid credential and the challenge it answers. */
interface Paid {
  challenge: Challenge;
  credential: string;
  payload: Record<string, unknown>;
  broker: string;
}

const ok = (status: number) => status >= 200 && status < 300;

/** Pays a challenge in the sandbox and returns the credential that proves it. */
async function payFor(t: Probe, challenge: Challenge): Promise<Paid> {
  try {
    const paid = await payInSandbox(challenge, t.sandbox!);
    const credential = t.credential(challenge, {}, paid.payload);
    return { challenge, credential, payload: paid.payload, broker: paid.broker };
  } catch (error) {
    throw new Failure(`could not pay in the sandbox: ${(error as Error).message}`);
  }
}

/**
 * Presents a paid credential; while the server still waits for HitPay's word it answers
 * payment-action-required, so that is retried (as an agent would) for a few seconds.
 */
async function present(t: Probe, label: string, credential: string): Promise<Exchange> {
  for (let attempt = 0; ; attempt++) {
    const x = await t.send(label, { credential });
    if (problemType(x.res) !== 'payment-action-required' || attempt >= 10) return x;
    await sleep(Math.min(Number(x.res.header('retry-after')) || 1, 2) * 1000);
  }
}

/**
 * Scenarios that pay (with `--sandbox`): delivery and receipt (R42–R44), replay (R27), a refusal's
 * challenge paid (R37), concurrency (R32), and route and query pinning (R41), which run unpaid —
 * the binding refuses before any proof is looked at — when the CLI cannot pay.
 */
export function paidScenarios(): Scenario[] {
  // One paid credential serves the pinning checks, then is delivered once, then replayed.
  let first: Promise<Paid> | undefined;
  let delivered: Exchange | undefined;
  let replayRefusal: Exchange | undefined;
  const payable = (t: Probe) => {
    try {
      t.requirePayment();
      return true;
    } catch {
      return false;
    }
  };
  const paidOnce = (t: Probe) => {
    first ??= t.challenge('the 402 to pay').then((c) => payFor(t, c));
    return first;
  };

  const elsewhere = (name: string, where: (t: Probe) => URL): Scenario => ({
    name,
    requirements: ['R41'],
    async run(t) {
      const url = where(t);
      const target = payable(t) ? undefined : await t.challenge('the 402 of the target');
      const credential = target ? t.credential(target) : (await paidOnce(t)).credential;
      const x = await t.send(`presented at ${url.pathname}${url.search}`, { url, credential });
      // A route-level challenge (no opaque) is valid wherever the terms are the same; its payload
      // binds each request, and a made-up payload is refused for its shape before that is reached.
      if (target?.opaque === undefined && target && problemType(x.res) === 'invalid-payload')
        throw new Skip(
          'the challenge is route-level (no opaque) and both routes have its terms: its payload binds each request',
        );
      // A route that does not offer the method at all refuses it with 400 (R38): pinned as well.
      if (x.res.status === 400) failIf(await t.refusal(x, 'method-unsupported', 400));
      else failIf(await t.refusal(x, ['invalid-challenge', 'verification-failed']));
      return payable(t) ? 'a paid credential' : 'unpaid: the binding refuses it first';
    },
  });

  return [
    elsewhere('a credential is refused on another query', (t) => {
      const offered = t.first ? challengesOf(t.first.res) : [];
      // hitpay-save challenges are route-level (no opaque): its payload binds each request instead.
      if (!offered.some((c) => c.opaque !== undefined))
        throw new Skip('the challenge is route-level (no opaque): its payload binds each request');
      const url = new URL(t.url);
      url.searchParams.append('mpp-test', 'another-query');
      return url;
    }),
    elsewhere('a credential is refused on another protected route', (t) => {
      if (!t.route) throw new Skip('give --route <another protected URL of the server>');
      return t.route;
    }),
    {
      name: 'a paid credential gets a 2xx with a receipt',
      requirements: ['R42', 'R43', 'R44'],
      paid: true,
      async run(t) {
        const paid = await paidOnce(t);
        const x = await present(t, 'the paid credential', paid.credential);
        check(ok(x.res.status), `got ${x.res.status} ${problemType(x.res) ?? ''}`);
        delivered = x;
        const header = x.res.header('payment-receipt');
        check(header !== undefined, 'no Payment-Receipt (R42)');
        const receipt = parseReceipt(header);
        check(
          isSuccessReceipt(receipt),
          'the receipt lacks status "success", method, timestamp or reference (R43)',
        );
        check(receipt.method === paid.challenge.method, `receipt method ${receipt.method} (R43)`);
        const cc = x.res.header('cache-control') ?? '';
        check(/(^|,)\s*(private|no-store)\s*(,|$)/i.test(cc), `Cache-Control "${cc}" on a receipt (R44)`);
        return `${x.res.status} · reference ${receipt.reference} · Cache-Control: ${cc}`;
      },
    },
    {
      name: "the receipt verifies against the broker's JWKS",
      requirements: ['hitpay §7'],
      paid: true,
      async run(t) {
        if (!delivered) throw new Failure('no paid response to verify (see the scenario above)');
        const paid = await paidOnce(t);
        const request = JSON.parse(base64url.decodeText(paid.challenge.request)) as Record<string, string>;
        const opaque = paid.challenge.opaque
          ? (JSON.parse(base64url.decodeText(paid.challenge.opaque)) as { rh?: string })
          : {};
        const claims = await verifyPaymentReceipt(
          delivered.res.header('payment-receipt') ?? null,
          brokerKeys(paid.broker),
          {
            method: paid.challenge.method,
            challengeId: paid.challenge.id,
            amount: request.amount!,
            currency: request.currency!,
            realm: paid.challenge.realm,
            ...(opaque.rh ? { requestHash: opaque.rh } : {}),
          },
        ).catch((error: Error) => {
          throw new Failure(error.message);
        });
        return `signed by ${claims.iss ?? 'the broker'} (${paid.broker}/.well-known/jwks.json)`;
      },
    },
    {
      name: 'a credential that already paid is refused',
      requirements: ['R27'],
      paid: true,
      async run(t) {
        if (!delivered) throw new Failure('nothing was delivered to replay (see above)');
        const x = await t.send('the replay', { credential: (await paidOnce(t)).credential });
        failIf(await t.refusal(x, 'invalid-challenge', 402, true));
        check(x.res.header('payment-receipt') === undefined, 'the replay carries a receipt');
        replayRefusal = x;
        return undefined;
      },
    },
    {
      name: 'the challenge of a refusal can be paid',
      requirements: ['R37'],
      paid: true,
      async run(t) {
        if (!replayRefusal) throw new Failure('no refusal to pay (see the replay scenario)');
        const list = challengesOf(replayRefusal.res);
        const c = list.find((x) => x.method === 'hitpay') ?? list[0]!;
        const x = await present(t, "the replay refusal's challenge, paid", (await payFor(t, c)).credential);
        check(ok(x.res.status), `got ${x.res.status} ${problemType(x.res) ?? ''}`);
        return undefined;
      },
    },
    {
      name: 'concurrent copies of one credential deliver once',
      requirements: ['R32'],
      paid: true,
      async run(t) {
        const { credential } = await payFor(t, await t.challenge('the 402 to pay'));
        const copies = await Promise.all(
          Array.from({ length: t.concurrency }, (_, i) => t.send(`copy ${i + 1}`, { credential })),
        );
        const counts: Record<string, number> = {};
        for (const x of copies) counts[x.res.status] = (counts[x.res.status] ?? 0) + 1;
        const summary = Object.entries(counts)
          .map(([s, n]) => `${n}× ${s}`)
          .join(', ');
        const delivered = copies.filter((x) => ok(x.res.status));
        check(
          delivered.length === 1,
          `${delivered.length} of ${copies.length} copies delivered (${summary})`,
        );
        const refused = copies.find((x) => !ok(x.res.status) && x.res.status !== 409);
        if (refused)
          failIf(await t.refusal(refused, ['invalid-challenge', 'payment-action-required'], 402, true));
        return summary;
      },
    },
    {
      name: 'a paid credential with another description is accepted',
      requirements: ['R36'],
      paid: true,
      async run(t) {
        const c = await t.challenge('the 402 to pay');
        const { payload } = await payFor(t, c);
        const changed = t.credential(c, { description: 'not what the server said' }, payload);
        const x = await present(t, 'description changed, paid', changed);
        check(ok(x.res.status), `got ${x.res.status} ${problemType(x.res) ?? ''}`);
        return undefined;
      },
    },
  ];
}

/**
 * Forged, replayed, re-ordered and duplicated HitPay webhooks, v1 (form, `hmac`, API salt) and v2
 * (JSON, `Hitpay-Signature`, endpoint salt), delivered to the embedded broker over HTTP.
 *
 * The genuine deliveries are the sandbox's own: a payment is made with `webhook=drop`, so its
 * signed deliveries are logged but never sent, and the test sends them (or forgeries of them).
 * A forgery must change nothing at all: the broker's whole storage is fingerprinted before and after.
 */
import { signV1, signV2, v1SignatureBase } from '@hit-pay/mpp-sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs } from './support/fuzz.ts';
import { challengeOf, credentialFor, openCheckout, saveWallet } from './support/pay.ts';
import { startWorld, storageFingerprint, type World } from './support/world.ts';

let w: World;
beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.close();
});

interface Delivery {
  version: 'v1' | 'v2';
  event: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const post = (d: Pick<Delivery, 'url' | 'headers' | 'body'>) =>
  fetch(d.url, { method: 'POST', headers: d.headers, body: d.body });

async function chargeStatus(id: string): Promise<string> {
  const { rows } = await w.broker.database.query<{ status: string }>(
    'SELECT status FROM charges WHERE id = $1',
    [id],
  );
  return rows[0]!.status;
}

/** A pending charge whose payment HitPay made but whose webhooks were never sent: they are returned. */
async function paidWithoutWebhooks(
  path: string,
): Promise<{ chargeId: string; deliveries: Delivery[]; credential: string }> {
  const res = await fetch(`${w.api.url}${path}`);
  await res.arrayBuffer();
  const challenge = challengeOf(res);
  const view = await openCheckout(w, challenge);
  const known = new Set(w.sandbox.webhookDeliveries().map((d) => d.id));
  w.sandbox.pay(view.payment_request_id, { fault: 'webhook=drop' });
  await w.sandbox.webhooksIdle();
  const deliveries = w.sandbox
    .webhookDeliveries()
    .filter((d) => !known.has(d.id) && d.state === 'dropped')
    .map(({ version, event, url, headers, body }) => ({ version, event, url, headers, body }));
  expect(deliveries.map((d) => `${d.version} ${d.event}`).sort()).toEqual([
    'v1 payment_request.completed',
    'v2 charge.created',
    'v2 payment_request.completed',
  ]);
  expect(await chargeStatus(challenge.id)).toBe('pending');
  const credential = credentialFor(challenge, { payment_request_id: view.payment_request_id });
  return { chargeId: challenge.id, deliveries, credential };
}

function forgedVariants(d: Delivery, salts: { api: string; webhook: string }): [string, Delivery][] {
  if (d.version === 'v2') {
    const sig = d.headers['Hitpay-Signature']!;
    const other = JSON.stringify({ ...JSON.parse(d.body), status: 'completed', amount: '0.01' });
    return [
      ['no signature', { ...d, headers: { ...d.headers, 'Hitpay-Signature': '' } }],
      ['random signature', { ...d, headers: { ...d.headers, 'Hitpay-Signature': 'ab'.repeat(32) } }],
      [
        'signed with the API salt',
        { ...d, headers: { ...d.headers, 'Hitpay-Signature': signV2(d.body, salts.api) } },
      ],
      ['signature of another body', { ...d, body: other }],
      ['body re-serialized', { ...d, body: JSON.stringify(JSON.parse(d.body), null, 1) }],
      ['truncated signature', { ...d, headers: { ...d.headers, 'Hitpay-Signature': sig.slice(0, 63) } }],
      [
        'signature with a byte flipped',
        {
          ...d,
          headers: {
            ...d.headers,
            'Hitpay-Signature': `${sig.slice(0, 63)}${sig.endsWith('0') ? '1' : '0'}`,
          },
        },
      ],
      [
        'sha256= prefix on a wrong signature',
        { ...d, headers: { ...d.headers, 'Hitpay-Signature': `sha256=${'0'.repeat(64)}` } },
      ],
    ];
  }
  const fields = Object.fromEntries(new URLSearchParams(d.body));
  const { hmac, ...rest } = fields;
  const form = (f: Record<string, string>) => new URLSearchParams(f).toString();
  return [
    ['no hmac', { ...d, body: form(rest) }],
    ['random hmac', { ...d, body: form({ ...rest, hmac: 'cd'.repeat(32) }) }],
    ['hmac with the webhook salt', { ...d, body: form({ ...rest, hmac: signV1(rest, salts.webhook) }) }],
    ['amount changed after signing', { ...d, body: form({ ...fields, amount: '0.01' }) }],
    ['field added after signing', { ...d, body: form({ ...fields, status: 'completed', extra: 'x' }) }],
    ['repeated field', { ...d, body: `${d.body}&status=completed` }],
    [
      'as JSON instead of a form',
      { ...d, headers: { ...d.headers, 'Content-Type': 'application/json' }, body: JSON.stringify(fields) },
    ],
    [
      'v1 body sent as v2 with its hmac as signature',
      { ...d, headers: { ...d.headers, 'Hitpay-Signature': hmac! } },
    ],
  ];
}

/** True when two v1 form bodies carry the same fields and values (the hmac compared in any case). */
function sameSignedForm(a: Uint8Array, b: Uint8Array): boolean {
  const fields = (body: Uint8Array) =>
    JSON.stringify(
      [...new URLSearchParams(new TextDecoder().decode(body))].map(([k, v]) => [
        k,
        k === 'hmac' ? v.toLowerCase() : v,
      ]),
    );
  return fields(a) === fields(b);
}

describe.each(['v1', 'v2'] as const)('%s webhooks', (version) => {
  it('forgeries of a genuine delivery are 401 and change nothing; the genuine one then applies', async () => {
    const { chargeId, deliveries } = await paidWithoutWebhooks('/forecast/1');
    const genuine = deliveries.find((d) => d.version === version && d.event === 'payment_request.completed')!;
    const before = await storageFingerprint(w.broker);
    for (const [name, forged] of forgedVariants(genuine, { api: w.apiSalt, webhook: w.webhookSalt })) {
      const res = await post(forged);
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
      const text = await res.text();
      for (const secret of [w.apiSalt, w.webhookSalt]) expect(text).not.toContain(secret);
    }
    expect(await storageFingerprint(w.broker)).toBe(before);
    expect(await chargeStatus(chargeId)).toBe('pending');
    const res = await post(genuine);
    expect(await res.json()).toEqual({ received: true, outcome: 'processed' });
    expect(await chargeStatus(chargeId)).toBe('paid');
  });

  it(`random byte-level mutations of a signed body never verify (${runs(100)} runs)`, async () => {
    const { chargeId, deliveries } = await paidWithoutWebhooks('/forecast/2');
    const genuine = deliveries.find((d) => d.version === version && d.event === 'payment_request.completed')!;
    const before = await storageFingerprint(w.broker);
    const bytes = Buffer.from(genuine.body);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const mutated = Buffer.from(bytes);
          mutated[at] = mutated[at]! ^ xor;
          // A v1 form has byte-different encodings of the same signed content (`%3A` and `%3a`, `+`
          // and a raw space, the hmac's hex in either case): that is the genuine webhook, not a forgery.
          fc.pre(version === 'v2' || !sameSignedForm(bytes, mutated));
          const res = await fetch(genuine.url, { method: 'POST', headers: genuine.headers, body: mutated });
          // A form's hmac field may be mangled into another key: then it is simply unsigned (401).
          expect(res.status).toBe(401);
          await res.arrayBuffer();
        },
      ),
      { numRuns: runs(100) },
    );
    expect(await storageFingerprint(w.broker)).toBe(before);
    expect(await chargeStatus(chargeId)).toBe('pending');
  });

  it('duplicated deliveries (sequential and 10 at once) are idempotent; replays after redemption change nothing', async () => {
    const { chargeId, deliveries, credential } = await paidWithoutWebhooks('/forecast/3');
    const genuine = deliveries.find((d) => d.version === version && d.event === 'payment_request.completed')!;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => post(genuine).then((r) => r.json() as Promise<{ outcome: string }>)),
    );
    expect(outcomes.every((o) => o.outcome === 'processed' || o.outcome === 'duplicate')).toBe(true);
    expect(await chargeStatus(chargeId)).toBe('paid');
    const { rows } = await w.broker.database.query<{ paid_at: Date }>(
      'SELECT paid_at FROM charges WHERE id = $1',
      [chargeId],
    );
    const paidAt = rows[0]!.paid_at.getTime();
    expect((await (await post(genuine)).json()).outcome).toBe('duplicate');
    // Redeem it, then replay every delivery of the payment, in reverse order: still redeemed, once.
    const redeemed = await fetch(`${w.api.url}/forecast/3`, { headers: { authorization: credential } });
    expect(redeemed.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(await chargeStatus(chargeId)).toBe('redeemed');
    await w.broker.database.query('DELETE FROM webhook_events'); // as the 30-day housekeeping would
    for (const d of [...deliveries].reverse()) expect((await post(d)).status).toBe(200);
    expect(await chargeStatus(chargeId)).toBe('redeemed');
    const { rows: after } = await w.broker.database.query<{ paid_at: Date }>(
      'SELECT paid_at FROM charges WHERE id = $1',
      [chargeId],
    );
    expect(after[0]!.paid_at.getTime()).toBe(paidAt);
  });

  it('re-ordered: a genuine "failed" after "completed" does not undo the payment; the sandbox reorder fault ends paid', async () => {
    const { chargeId, deliveries } = await paidWithoutWebhooks('/forecast/4');
    const completed = deliveries.find(
      (d) => d.version === version && d.event === 'payment_request.completed',
    )!;
    expect((await (await post(completed)).json()).outcome).toBe('processed');
    // A genuinely signed "failed" for the same payment request, arriving late.
    let failed: Delivery;
    if (version === 'v2') {
      const body = JSON.stringify({ ...JSON.parse(completed.body), status: 'failed', payments: [] });
      failed = {
        ...completed,
        body,
        headers: {
          ...completed.headers,
          'Hitpay-Signature': signV2(body, w.webhookSalt),
          'Hitpay-Event-Type': 'failed',
        },
      };
    } else {
      const { hmac: _h, ...fields } = Object.fromEntries(new URLSearchParams(completed.body));
      const f = { ...fields, status: 'failed' };
      failed = { ...completed, body: new URLSearchParams({ ...f, hmac: signV1(f, w.apiSalt) }).toString() };
      expect(v1SignatureBase(f)).toContain('statusfailed');
    }
    expect((await post(failed)).status).toBe(200);
    expect(await chargeStatus(chargeId)).toBe('paid');

    // The sandbox's own reordering (charge.created, payment_request.completed, v1) and duplication.
    const res = await fetch(`${w.api.url}/forecast/5`);
    await res.arrayBuffer();
    const challenge = challengeOf(res);
    const view = await openCheckout(w, challenge);
    w.sandbox.pay(view.payment_request_id, { fault: 'webhook=reorder' });
    await w.sandbox.webhooksIdle();
    expect(await chargeStatus(challenge.id)).toBe('paid');
  });
});

describe('v2 events are read from the signed body, not the unsigned headers', () => {
  it('a captured method_attached body replayed with method_detached headers does not end the saved method', async () => {
    const g = await saveWallet(w, '/hourly/1');
    const attached = w.sandbox
      .webhookDeliveries()
      .filter((d) => d.version === 'v2' && d.event === 'recurring_billing.method_attached')
      .pop()!;
    // Long after: the broker's de-duplication record is gone (30-day housekeeping).
    await w.broker.database.query('DELETE FROM webhook_events');
    const res = await post({
      url: attached.url,
      body: attached.body,
      headers: { ...attached.headers, 'Hitpay-Event-Type': 'method_detached' },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).outcome).toBe('ignored');
    const { rows } = await w.broker.database.query<{ status: string }>(
      'SELECT status FROM saved_methods WHERE id = $1',
      [g.savedMethodId],
    );
    expect(rows[0]!.status).toBe('active');
  });
});

/**
 * An outage at HitPay, injected with the sandbox's fault directives, while checkouts are created,
 * saved wallets are charged and refunds are made: the caller gets a clear problem (503 +
 * Retry-After, or 402 for a decline), nobody is charged twice, and the reconciler finishes what
 * was left (a charge whose answer was lost is refunded; a refund that failed is retried).
 *
 * Faults: `error=503` (refused before doing anything), `error-after=500` (done, answer lost),
 * `hang` / `hang-after` (no answer; the broker's HitPay timeout is 400 ms here), `latency=250`
 * (slow), `insufficient-funds=422` (declined).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActiveGrant,
  challengeOf,
  credentialFor,
  grantCredential,
  openCheckout,
  payOnce,
  saveWallet,
} from './support/pay.ts';
import { startWorld, type World } from './support/world.ts';

let w: World;
beforeAll(async () => {
  w = await startWorld({
    broker: {
      hitpay: { retryBaseDelayMs: 5, timeoutMs: 400 },
      rateLimits: { checkoutPerAddress: false },
    },
  });
});
afterAll(async () => {
  await w?.close();
});

const created = () => w.sandbox.stats.created;

async function challenge(path: string) {
  const res = await fetch(`${w.api.url}${path}`);
  await res.arrayBuffer();
  return challengeOf(res);
}

async function openRaw(
  c: unknown,
): Promise<{ status: number; body: Record<string, string>; retryAfter: string | null }> {
  const res = await fetch(`${w.api.url}/mpp/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challenge: c }),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, string>,
    retryAfter: res.headers.get('retry-after'),
  };
}

describe('checkout creation', () => {
  it('HitPay answers 503 for a while: a clear 503 with Retry-After, then one payment request once it is back', async () => {
    const c = await challenge('/forecast/1');
    const before = created().paymentRequests;
    w.sandbox.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error=503', count: 0 });
    const down = await openRaw(c);
    w.sandbox.clearFaults();
    expect(down.status).toBe(503);
    expect(down.body.type).toMatch(/service-unavailable$/);
    expect(Number(down.retryAfter)).toBeGreaterThan(0);
    expect(down.body.detail).toMatch(/HitPay createPaymentRequest: 503/);
    const up = await openRaw(c);
    expect(up.status).toBe(200);
    expect(created().paymentRequests - before).toBe(1);
  });

  it('a lost answer (error-after=500), and a hang after the work (hang-after): found again by reference, never created twice', async () => {
    for (const fault of ['error-after=500', 'hang-after']) {
      const c = await challenge(`/forecast/${fault}`);
      const before = created().paymentRequests;
      w.sandbox.addFault({ method: 'POST', path: '/v1/payment-requests', fault, count: 1 });
      const r = await openRaw(c);
      w.sandbox.clearFaults();
      expect({ fault, status: r.status }).toEqual({ fault, status: 200 });
      const again = await openRaw(c);
      expect(again.body.payment_request_id).toBe(r.body.payment_request_id);
      expect({ fault, created: created().paymentRequests - before }).toEqual({ fault, created: 1 });
    }
  });

  it('HitPay hangs: the open fails within the timeouts, cleanly', async () => {
    const c = await challenge('/forecast/hang');
    w.sandbox.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'hang', count: 0 });
    const started = performance.now();
    const r = await openRaw(c);
    w.sandbox.clearFaults();
    expect(r.status).toBe(503);
    expect(r.body.detail).toMatch(/no answer within 400 ms/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('HitPay is slow (latency=250): ten concurrent opens of one link wait for the one creation', async () => {
    const c = await challenge('/forecast/slow');
    const before = created().paymentRequests;
    w.sandbox.addFault({ path: '/v1/payment-requests*', fault: 'latency=250', count: 0 });
    const all = await Promise.all(Array.from({ length: 10 }, () => openRaw(c)));
    w.sandbox.clearFaults();
    expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(all.map((r) => r.body.payment_request_id)).size).toBe(1);
    expect(created().paymentRequests - before).toBe(1);
  });
});

describe('saved-method charges', () => {
  let g: ActiveGrant;
  beforeAll(async () => {
    g = await saveWallet(w, '/hourly/1');
  });
  const usedAmount = async () => {
    const { rows } = await w.broker.database.query<{ used_amount: string }>(
      'SELECT used_amount FROM saved_methods WHERE id = $1',
      [g.savedMethodId],
    );
    return rows[0]!.used_amount;
  };
  const pay = (path: string) =>
    fetch(`${w.api.url}${path}`, { headers: { authorization: grantCredential(g.challenge, g.grant, path) } });

  it('declined (insufficient funds, 422): 402 verification-failed, nothing kept', async () => {
    w.sandbox.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'insufficient-funds=422',
      count: 1,
    });
    const res = await pay('/hourly/declined');
    expect(res.status).toBe(402);
    expect((await res.json()).type).toMatch(/verification-failed$/);
    expect(await usedAmount()).toBe('0');
  });

  it.each([
    ['error=503', 0],
    ['hang', 0],
    ['error-after=500', 1],
    ['hang-after', 1],
  ])(
    '%s: a clear 503, no retry of the charge, and the reconciler settles it (charged then refunded: %i)',
    async (fault, happened) => {
      const charges = created().charges;
      const refunds = created().refunds;
      w.sandbox.addFault({ method: 'POST', path: '/v1/charge/recurring-billing/*', fault, count: 1 });
      const res = await pay(`/hourly/${fault}`);
      w.sandbox.clearFaults();
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.type).toMatch(/service-unavailable$/);
      expect(body.detail).toMatch(/reconciled/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(w.runs['hourly'] ?? 0).toBe(0);
      expect(created().charges - charges).toBe(happened); // one attempt at HitPay, never a blind retry
      await w.sandbox.webhooksIdle(); // charge.created names the payment when it happened
      await w.broker.reconcile();
      expect(created().refunds - refunds).toBe(happened);
      expect(await usedAmount()).toBe('0');
      // The agent retries with a new nonce: one charge, delivered.
      const retry = await pay(`/hourly/${fault}`);
      expect(retry.status).toBe(200);
      expect(created().charges - charges).toBe(happened + 1);
      w.runs.hourly = 0;
      // Undo the delivered one's debit for the next case: refund through the failing route is not needed.
      await w.broker.database.query('UPDATE saved_methods SET used_amount = 0, use_count = 0 WHERE id = $1', [
        g.savedMethodId,
      ]);
    },
  );
});

describe('refunds', () => {
  it('a failed handler refunds the saved charge; HitPay down (503) leaves it refunding, the reconciler finishes it once', async () => {
    const g = await saveWallet(w, '/saved-failing', 'shopee_pay');
    const refunds = created().refunds;
    w.sandbox.addFault({ method: 'POST', path: '/v1/refund', fault: 'error=503', count: 0 });
    const res = await fetch(`${w.api.url}/saved-failing`, {
      headers: { authorization: grantCredential(g.challenge, g.grant, '/saved-failing') },
    });
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 100)); // settlement runs after the answer
    const status = async () =>
      (
        await w.broker.database.query<{ status: string }>(
          'SELECT status FROM saved_charges WHERE saved_method_id = $1',
          [g.savedMethodId],
        )
      ).rows.map((r) => r.status);
    expect(await status()).toEqual(['refunding']);
    await w.broker.reconcile(); // still down: stays refunding, retried later
    expect(await status()).toEqual(['refunding']);
    w.sandbox.clearFaults();
    w.clock.advance(5 * 60_000); // past the refund backoff
    await w.broker.reconcile();
    expect(await status()).toEqual(['refunded']);
    expect(created().refunds - refunds).toBe(1);
    await w.broker.reconcile();
    expect(created().refunds - refunds).toBe(1);
  });

  it('a refund whose answer was lost (error-after=500) is not made twice', async () => {
    const g = await saveWallet(w, '/saved-failing', 'grabpay_direct');
    const refunds = created().refunds;
    w.sandbox.addFault({ method: 'POST', path: '/v1/refund', fault: 'error-after=500', count: 1 });
    const res = await fetch(`${w.api.url}/saved-failing`, {
      headers: { authorization: grantCredential(g.challenge, g.grant, '/saved-failing') },
    });
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 100));
    expect(created().refunds - refunds).toBe(1);
    w.clock.advance(10 * 60_000);
    await w.broker.reconcile();
    const { rows } = await w.broker.database.query<{ status: string }>(
      'SELECT status FROM saved_charges WHERE saved_method_id = $1',
      [g.savedMethodId],
    );
    expect(rows.map((r) => r.status)).toEqual(['refunded']);
    expect(created().refunds - refunds).toBe(1);
  });

  it('a one-time payment never redeemed is refunded after expiry; a refund HitPay refuses at first is retried', async () => {
    const paid = await payOnce(w, '/report/refund-me');
    const refunds = created().refunds;
    w.sandbox.addFault({ method: 'POST', path: '/v1/refund', fault: 'error=502', count: 1 });
    w.clock.advance(25 * 60_000); // 15 min challenge + 5 min grace
    await w.broker.reconcile();
    const status = async () =>
      (
        await w.broker.database.query<{ status: string }>('SELECT status FROM charges WHERE id = $1', [
          paid.challenge.id,
        ])
      ).rows[0]!.status;
    expect(await status()).toBe('refunding');
    w.clock.advance(5 * 60_000);
    await w.broker.reconcile();
    expect(await status()).toBe('refunded');
    expect(created().refunds - refunds).toBe(1);
    // The credential is worthless now.
    const late = await fetch(`${w.api.url}/report/refund-me`, {
      headers: { authorization: paid.credential },
    });
    expect(late.status).toBe(402);
  });
});

describe('webhooks lost during the outage', () => {
  it('a payment whose webhooks were dropped is found by polling HitPay when the agent redeems', async () => {
    const c = await challenge('/forecast/dropped');
    const view = await openCheckout(w, c);
    w.sandbox.pay(view.payment_request_id, { fault: 'webhook=drop' });
    const res = await fetch(`${w.api.url}/forecast/dropped`, {
      headers: { authorization: credentialFor(c, { payment_request_id: view.payment_request_id }) },
    });
    expect(res.status).toBe(200);
  });
});

import type {
  MethodRoute,
  PaymentMethod,
  RequestObject,
  Verification,
  VerifyContext,
} from '../engine/method.js';
import { priceSummary, priceText, toMinorUnits } from '../engine/money.js';
import type { Price, RouteConfig } from '../engine/types.js';
import { MppError } from '../protocol/errors.js';

/** Counters the conformance suite reads to check side effects (R17, R32, R40). */
export interface TestMethodStats {
  /** verify() calls that reached the payload (after binding and expiry checks passed). */
  verifyCalls: number;
  commits: number;
  releases: number;
}

export interface TestMethodOptions {
  /** Method name (default `test`). */
  name?: string;
  /** Recipient written into every request (default `acct_test`). */
  recipient?: string;
}

/**
 * A deterministic payment method for conformance runs. Payloads:
 * - `{ "proof": "ok-<n>" }` pays (single use; reference `test_ref_<n>`);
 * - `{ "proof": "ok-<n>", "paid": "<minor>" }` pays that amount (less → `payment-insufficient`);
 * - `{ "proof": "pending" }` → `payment-action-required` with Retry-After 2 (nothing consumed);
 * - `{ "proof": "unavailable" }` → 503 `service-unavailable` (nothing consumed);
 * - `{ "proof": "crash" }` → an unexpected exception (500 `internal-payment-error`);
 * - any other proof → `verification-failed`; a payload without a string proof → `invalid-payload`.
 */
export function testMethod(
  options: TestMethodOptions = {},
): PaymentMethod & { readonly stats: TestMethodStats } {
  const name = options.name ?? 'test';
  const recipient = options.recipient ?? 'acct_test';
  const stats: TestMethodStats = { verifyCalls: 0, commits: 0, releases: 0 };

  function requestFor(p: Price): RequestObject {
    const out: RequestObject = {
      amount: toMinorUnits(p.amount, p.currency),
      currency: p.currency.toLowerCase(),
      recipient,
    };
    if (p.description !== undefined) out.description = priceText('description', p.description);
    if (p.externalId !== undefined) out.externalId = priceText('externalId', p.externalId);
    return out;
  }

  async function verify(ctx: VerifyContext): Promise<Verification> {
    stats.verifyCalls++;
    const { proof, paid } = ctx.credential.payload;
    if (typeof proof !== 'string') throw new MppError('invalid-payload', 'Payload needs a string "proof"');
    if (proof === 'pending')
      throw new MppError('payment-action-required', 'Payment is not complete yet', { retryAfter: 2 });
    if (proof === 'unavailable')
      throw new MppError('service-unavailable', 'Test processor unavailable', { retryAfter: 1 });
    if (proof === 'crash') throw new Error('test processor crashed');
    const m = /^ok-(\d+)$/.exec(proof);
    if (!m) throw new MppError('verification-failed', 'Invalid payment proof');
    const amount = String(ctx.requestObject.amount);
    if (
      paid !== undefined &&
      (typeof paid !== 'string' || !/^\d+$/.test(paid) || BigInt(paid) < BigInt(amount))
    ) {
      throw new MppError('payment-insufficient', `Paid ${String(paid)}, price is ${amount}`);
    }
    // Keep the single-use marks a little past expiry so "expired" is never mistaken for "unused".
    const ttl = Math.max(1000, ctx.expiresAt - ctx.now + 300_000);
    const challengeKey = `${name}:challenge:${ctx.challenge.id}`;
    const proofKey = `${name}:proof:${proof}`;
    if (!(await ctx.store.claim(challengeKey, ttl)))
      throw new MppError('invalid-challenge', 'Challenge already used');
    if (!(await ctx.store.claim(proofKey, 30 * 86_400_000))) {
      await ctx.store.release(challengeKey);
      throw new MppError('verification-failed', 'Payment proof already used');
    }
    return {
      amount,
      currency: String(ctx.requestObject.currency),
      reference: `test_ref_${m[1]}`,
      async commit() {
        stats.commits++;
      },
      async release() {
        stats.releases++;
        await ctx.store.release(challengeKey);
        await ctx.store.release(proofKey);
      },
    };
  }

  return {
    name,
    intent: 'charge',
    stats,
    compile(route: RouteConfig): MethodRoute | undefined {
      const price = route.price;
      if (price === undefined) return undefined;
      const summary = priceSummary(price);
      if (typeof price === 'function')
        return { summary, request: async (ctx) => requestFor(await price(ctx.request)), verify };
      // A static price is priced once (and validated now); freezing lets the engine cache its encoding.
      const fixed = Object.freeze(requestFor(price));
      return { summary, request: () => fixed, verify };
    },
  };
}

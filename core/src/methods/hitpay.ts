import type {
  MethodRoute,
  OfferContext,
  PaymentMethod,
  RequestObject,
  Verification,
} from '../engine/method.js';
import { displayAmount, priceSummary, priceText, toMinorUnits } from '../engine/money.js';
import type { Price, RouteConfig } from '../engine/types.js';
import { MppConfigError, MppError } from '../protocol/errors.js';
import type { Broker } from './broker-api.js';
import { checkoutUrl } from './checkout-link.js';
import { paywallPage } from './paywall.js';

export { checkoutUrl };

import { DEFAULT_ONE_TIME_RAILS } from './merchant.js';

/** What the HitPay methods need from their host (createMpp wires these). */
export interface HitPayMethodContext {
  merchantId: string;
  /** The broker (created lazily: the embedded one opens its database on first use). */
  broker(): Promise<Broker>;
  /** Public base URL of the broker's routes for this request, e.g. `https://api.example.com/mpp`. */
  brokerUrl(ctx: OfferContext): string;
}

export interface HitPayMethodOptions {
  /** How long a redemption may stay in flight before it returns to `paid` (default 60 s). */
  leaseMs?: number;
}

/** Builds the charge request of one price (amount in minor units, lower-case currency). */
function chargeRequest(
  price: Price,
  broker: string,
  merchantId: string,
  rails: readonly string[] | undefined,
): RequestObject {
  const currency = price.currency.toLowerCase();
  const amount = toMinorUnits(price.amount, currency);
  const methodDetails: RequestObject = {
    broker,
    merchant: merchantId,
    display_amount: displayAmount(amount, currency),
  };
  const r = rails ?? DEFAULT_ONE_TIME_RAILS[currency];
  if (r && r.length > 0) methodDetails.rails = [...r];
  const out: RequestObject = { amount, currency, methodDetails };
  if (price.description !== undefined) out.description = priceText('description', price.description);
  if (price.externalId !== undefined) out.externalId = priceText('externalId', price.externalId);
  return out;
}

/**
 * `method="hitpay"`: one-time payment through a HitPay hosted checkout (PayNow QR and other
 * rails). Issuing a challenge touches nothing; the broker creates the HitPay payment request when
 * the checkout link is opened, and the credential redeems the paid charge exactly once.
 * Payload: `{ "payment_request_id": "<HitPay payment request id>" }`.
 */
export function hitpayMethod(host: HitPayMethodContext, options: HitPayMethodOptions = {}): PaymentMethod {
  const leaseMs = options.leaseMs ?? 60_000;
  // Request objects per broker URL (one per origin in practice), frozen so the engine caches their
  // encoding. Bounded: the origin comes from the Host header, which a client controls.
  const cacheLimit = 32;

  return {
    name: 'hitpay',
    intent: 'charge',
    compile(route: RouteConfig): MethodRoute | undefined {
      const price = route.price;
      if (price === undefined) return undefined;
      const rails = route.rails;
      let cache = new Map<string, RequestObject>();
      if (typeof price !== 'function') {
        if (!Object.hasOwn(DEFAULT_ONE_TIME_RAILS, price.currency.toLowerCase()) && !rails) {
          throw new MppConfigError(
            '@hit-pay/mpp',
            'price.currency',
            `"${price.currency}" is not a HitPay checkout currency`,
          );
        }
        chargeRequest(price, 'https://validate.invalid', host.merchantId, rails); // validates the amount now
      }
      return {
        summary: priceSummary(price),
        request(ctx) {
          const broker = host.brokerUrl(ctx);
          if (typeof price === 'function') {
            return Promise.resolve(price(ctx.request)).then((p) =>
              chargeRequest(p, broker, host.merchantId, rails),
            );
          }
          let hit = cache.get(broker);
          if (!hit) {
            if (cache.size >= cacheLimit) cache = new Map();
            hit = Object.freeze(chargeRequest(price, broker, host.merchantId, rails));
            cache.set(broker, hit);
          }
          return hit;
        },
        async verify(ctx): Promise<Verification> {
          const prId = ctx.credential.payload.payment_request_id;
          if (typeof prId !== 'string' || prId.length === 0 || prId.length > 100) {
            throw new MppError(
              'invalid-payload',
              'Payload needs the "payment_request_id" of the paid HitPay checkout',
            );
          }
          const amount = String(ctx.requestObject.amount);
          const currency = String(ctx.requestObject.currency);
          const broker = await host.broker();
          const chargeId = ctx.challenge.id;
          const r = await broker.redeemCharge({
            merchantId: host.merchantId,
            chargeId,
            challenge: ctx.challenge,
            amount,
            currency,
            requestHash: ctx.requestHash,
            paymentRequestId: prId,
            leaseMs,
          });
          return {
            amount,
            currency,
            reference: r.paymentId,
            receipt: { jws: r.receiptJws },
            details: { paymentRequestId: r.paymentRequestId, paidAt: r.paidAt },
            commit: () => broker.commitCharge(host.merchantId, chargeId, r.leaseId),
            release: () => broker.releaseCharge(host.merchantId, chargeId, r.leaseId),
          };
        },
        describe(challenge, requestObject, ctx) {
          const broker = host.brokerUrl(ctx);
          const details = requestObject.methodDetails as Record<string, string>;
          return {
            amount: String(requestObject.amount),
            currency: String(requestObject.currency),
            display_amount: details.display_amount ?? '',
            checkout_url: checkoutUrl(broker, challenge),
            charges_url: `${broker}/v1/charges`,
            polling_url: `${broker}/v1/charges/${challenge.id}`,
          };
        },
        paywall(challenge, requestObject, ctx) {
          return paywallPage(challenge, requestObject, host.brokerUrl(ctx), ctx.origin + ctx.request.target);
        },
      };
    },
  };
}

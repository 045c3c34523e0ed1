import type { JWTVerifyGetKey } from 'jose';
import type {
  MethodRoute,
  OfferContext,
  OfferSummary,
  PaymentMethod,
  RequestObject,
  Verification,
} from '../engine/method.js';
import { displayAmount, MAX_DESCRIPTION_LENGTH, toMinorUnits } from '../engine/money.js';
import type { MppRequest, RouteConfig, SavedMethodTerms } from '../engine/types.js';
import { MppConfigError, MppError } from '../protocol/errors.js';
import { verifyGrant } from '../receipts/jws.js';
import type { HitPayMethodContext } from './hitpay.js';
import { SAVED_METHOD_RAILS } from './merchant.js';

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

interface CompiledTerms {
  currency: string;
  perCall: string;
  maxPerCharge: string;
  totalCap: string;
  rails: readonly string[];
  description: string | undefined;
  customerEmail: SavedMethodTerms['customerEmail'];
}

function compileTerms(t: SavedMethodTerms): CompiledTerms {
  const pkg = '@hit-pay/mpp';
  if (typeof t.currency !== 'string') throw new MppConfigError(pkg, 'savedMethod.currency', 'is required');
  const currency = t.currency.toLowerCase();
  const allowed = SAVED_METHOD_RAILS[currency];
  if (!allowed)
    throw new MppConfigError(pkg, 'savedMethod.currency', `"${t.currency}" has no saved-method rails`);
  const perCall = toMinorUnits(t.perCallAmount, currency);
  const maxPerCharge = toMinorUnits(t.maxAmountPerCharge, currency);
  const totalCap = toMinorUnits(t.totalAmountCap, currency);
  if (BigInt(perCall) <= 0n) throw new MppConfigError(pkg, 'savedMethod.perCallAmount', 'must be positive');
  if (BigInt(perCall) > BigInt(maxPerCharge)) {
    throw new MppConfigError(pkg, 'savedMethod.perCallAmount', 'must not exceed maxAmountPerCharge');
  }
  if (BigInt(maxPerCharge) > BigInt(totalCap)) {
    throw new MppConfigError(pkg, 'savedMethod.maxAmountPerCharge', 'must not exceed totalAmountCap');
  }
  const rails = t.rails ?? allowed;
  for (const r of rails) {
    if (!allowed.includes(r) && r !== 'card') {
      throw new MppConfigError(
        pkg,
        'savedMethod.rails',
        `"${r}" cannot be saved for ${currency.toUpperCase()}`,
      );
    }
  }
  if (
    t.description !== undefined &&
    (typeof t.description !== 'string' || t.description.length > MAX_DESCRIPTION_LENGTH)
  ) {
    throw new MppConfigError(
      pkg,
      'savedMethod.description',
      `must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  }
  return {
    currency,
    perCall,
    maxPerCharge,
    totalCap,
    rails,
    description: t.description,
    customerEmail: t.customerEmail,
  };
}

function emailOf(terms: CompiledTerms, req: MppRequest): string | undefined {
  const e = typeof terms.customerEmail === 'function' ? terms.customerEmail(req) : terms.customerEmail;
  return typeof e === 'string' && e.length > 0 && e.length <= 254 ? e : undefined;
}

function savedRequest(
  terms: CompiledTerms,
  broker: string,
  merchantId: string,
  email: string | undefined,
): RequestObject {
  const methodDetails: RequestObject = {
    broker,
    merchant: merchantId,
    rails: [...terms.rails],
    max_amount_per_charge: terms.maxPerCharge,
    total_amount_cap: terms.totalCap,
    display_amount: displayAmount(terms.perCall, terms.currency),
  };
  if (email !== undefined) methodDetails.customer_email = email;
  const out: RequestObject = { amount: terms.perCall, currency: terms.currency, methodDetails };
  if (terms.description !== undefined) out.description = terms.description;
  return out;
}

/**
 * The discovery summary: the per-call amount, with the grant's caps in the pricing note (the
 * discovery schema allows no other members on an offer).
 */
function savedSummary(terms: CompiledTerms): OfferSummary {
  const caps =
    `charged to a saved wallet under a grant of at most ${displayAmount(terms.maxPerCharge, terms.currency)}` +
    ` per charge and ${displayAmount(terms.totalCap, terms.currency)} in total`;
  return Object.freeze({
    amount: terms.perCall,
    currency: terms.currency,
    description: terms.description === undefined ? `Per call; ${caps}` : `${terms.description} (${caps})`,
  });
}

/**
 * `method="hitpay-save"`: a saved wallet (GrabPay, ShopeePay, Touch 'n Go) charged under a signed,
 * capped grant, with no checkout per call. The challenge is route-level and reusable; each
 * credential carries `{ grant, nonce, request_hash }`, the nonce being single use. The grant is
 * checked offline first (signature, merchant, realm, currency, per-charge cap, expiry), then the
 * broker re-checks and debits the caps atomically and charges HitPay before the handler runs; a
 * failed handler gets a refund.
 */
export function hitpaySaveMethod(
  host: HitPayMethodContext & { grantKeys(): Promise<JWTVerifyGetKey> },
): PaymentMethod {
  return {
    name: 'hitpay-save',
    intent: 'charge',
    reusableChallenge: true,
    compile(route: RouteConfig): MethodRoute | undefined {
      if (route.savedMethod === undefined) return undefined;
      const terms = compileTerms(route.savedMethod);
      return {
        summary: savedSummary(terms),
        request(ctx: OfferContext) {
          return savedRequest(terms, host.brokerUrl(ctx), host.merchantId, emailOf(terms, ctx.request));
        },
        async verify(ctx): Promise<Verification> {
          const { grant, nonce, request_hash: hash } = ctx.credential.payload;
          if (
            typeof grant !== 'string' ||
            typeof nonce !== 'string' ||
            !NONCE.test(nonce) ||
            typeof hash !== 'string'
          ) {
            throw new MppError(
              'invalid-payload',
              'Payload needs "grant" (JWS), "nonce" (16–128 base64url chars) and "request_hash"',
            );
          }
          if (hash !== ctx.requestHash)
            throw new MppError('verification-failed', 'Credential was made for another request');
          // Offline first: a grant that cannot pay this request never reaches the broker or HitPay.
          const claims = await verifyGrant(grant, await host.grantKeys(), { now: ctx.now });
          const amount = terms.perCall;
          if (claims.merchant !== host.merchantId)
            throw new MppError('grant-invalid', 'Grant belongs to another merchant');
          if (claims.realm !== ctx.realm) throw new MppError('grant-invalid', 'Grant is for another realm');
          if (claims.currency !== terms.currency)
            throw new MppError('grant-invalid', 'Grant is in another currency');
          if (!terms.rails.includes(claims.rail))
            throw new MppError('grant-invalid', 'Grant rail is not accepted here');
          if (BigInt(amount) > BigInt(claims.maxAmountPerCharge)) {
            throw new MppError('grant-exhausted', 'Price exceeds the grant’s per-charge cap');
          }
          const broker = await host.broker();
          const charge = await broker.chargeSavedMethod({
            merchantId: host.merchantId,
            grant,
            savedMethodId: claims.sub,
            nonce,
            amount,
            currency: terms.currency,
            requestHash: ctx.requestHash,
            challengeId: ctx.challenge.id,
            realm: ctx.realm,
          });
          return {
            amount,
            currency: terms.currency,
            reference: charge.paymentId,
            receipt: { jws: charge.receiptJws, remaining: charge.remaining },
            details: { chargeId: charge.chargeId, grantId: claims.sub, remaining: charge.remaining },
            undo: 'refunded',
            commit: async () => {},
            release: () => broker.refundSavedCharge(host.merchantId, charge.chargeId),
          };
        },
        describe(_challenge, requestObject, ctx) {
          const broker = host.brokerUrl(ctx);
          return {
            amount: String(requestObject.amount),
            currency: String(requestObject.currency),
            display_amount: String((requestObject.methodDetails as Record<string, unknown>).display_amount),
            options_url: `${broker}/v1/saved-payment-methods/options?currency=${String(requestObject.currency)}`,
            setup_url: `${broker}/v1/saved-payment-methods`,
            reusable: true,
          };
        },
      };
    },
  };
}

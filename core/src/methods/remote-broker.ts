import { MPP_PROBLEM_BASE, MppError, type MppErrorCode, PAYMENT_PROBLEM_BASE } from '../protocol/errors.js';
import type { JsonValue } from '../protocol/json.js';
import type {
  Broker,
  MerchantRegistration,
  RedeemChargeInput,
  RedeemedCharge,
  SavedCharge,
  SavedChargeInput,
} from './broker-api.js';

export interface RemoteBrokerOptions {
  /** Base URL of the standalone broker, e.g. `https://mpp.example.com`. */
  endpoint: string;
  /** The merchant's HitPay API key: it authenticates this API instance to the broker. */
  apiKey: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Maps a broker problem document back to the MppError it was made from. */
function errorFrom(status: number, body: unknown): MppError {
  const type = (body as { type?: unknown } | null)?.type;
  const detail = (body as { detail?: unknown } | null)?.detail;
  const retryAfter = (body as { retryAfter?: unknown } | null)?.retryAfter;
  let code: string | undefined;
  if (typeof type === 'string') {
    if (type.startsWith(PAYMENT_PROBLEM_BASE)) code = type.slice(PAYMENT_PROBLEM_BASE.length);
    else if (type.startsWith(MPP_PROBLEM_BASE)) code = type.slice(MPP_PROBLEM_BASE.length);
  }
  const known = code && code !== 'invalid-config' ? (code as MppErrorCode) : undefined;
  return new MppError(
    known ?? (status >= 500 ? 'service-unavailable' : 'upstream-error'),
    typeof detail === 'string' ? detail : `Broker answered ${status}`,
    {
      retryAfter: typeof retryAfter === 'number' ? retryAfter : status === 503 ? 1 : undefined,
    },
  );
}

/**
 * The Broker contract over HTTP, for API instances that share a standalone broker
 * (`npx mpp broker`). Every call authenticates with the merchant's HitPay API key.
 */
export function remoteBroker(options: RemoteBrokerOptions): Broker {
  const base = options.endpoint.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new MppError('service-unavailable', 'Payment broker is unreachable', {
        cause: error,
        retryAfter: 2,
      });
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) throw errorFrom(res.status, json);
    return json as T;
  }

  return {
    issuer: base,
    async registerMerchant(m: MerchantRegistration) {
      const r = await call<{ merchant_id: string }>('PUT', '/v1/merchants/self', {
        webhook_salt: m.webhookSalt,
        api_salt: m.apiSalt,
        challenge_secrets: m.challengeSecrets,
        hitpay_base_url: m.hitpayBaseUrl,
      });
      return { merchantId: r.merchant_id };
    },
    async redeemCharge(i: RedeemChargeInput): Promise<RedeemedCharge> {
      const r = await call<{
        payment_id: string;
        payment_request_id: string;
        receipt_jws: string;
        paid_at: string;
        lease_id: string;
      }>('POST', `/v1/charges/${encodeURIComponent(i.chargeId)}/verify`, {
        challenge: i.challenge,
        amount: i.amount,
        currency: i.currency,
        request_hash: i.requestHash,
        payment_request_id: i.paymentRequestId,
        lease_ms: i.leaseMs,
      });
      return {
        paymentId: r.payment_id,
        paymentRequestId: r.payment_request_id,
        receiptJws: r.receipt_jws,
        paidAt: r.paid_at,
        leaseId: r.lease_id,
      };
    },
    async commitCharge(_merchantId, chargeId, leaseId) {
      await call('POST', `/v1/charges/${encodeURIComponent(chargeId)}/commit`, { lease_id: leaseId });
    },
    async releaseCharge(_merchantId, chargeId, leaseId) {
      await call('POST', `/v1/charges/${encodeURIComponent(chargeId)}/release`, { lease_id: leaseId });
    },
    async chargeSavedMethod(i: SavedChargeInput): Promise<SavedCharge> {
      const r = await call<{
        charge_id: string;
        payment_id: string;
        receipt_jws: string;
        remaining: string;
        paid_at: string;
      }>('POST', `/v1/saved-payment-methods/${encodeURIComponent(i.savedMethodId)}/charges`, {
        grant: i.grant,
        nonce: i.nonce,
        amount: i.amount,
        currency: i.currency,
        request_hash: i.requestHash,
        challenge_id: i.challengeId,
        realm: i.realm,
      });
      return {
        chargeId: r.charge_id,
        paymentId: r.payment_id,
        receiptJws: r.receipt_jws,
        remaining: r.remaining,
        paidAt: r.paid_at,
      };
    },
    async refundSavedCharge(_merchantId, chargeId) {
      await call('POST', `/v1/saved-charges/${encodeURIComponent(chargeId)}/refund`);
    },
    async jwks() {
      return call<{ keys: Record<string, JsonValue>[] }>('GET', '/.well-known/jwks.json');
    },
  };
}

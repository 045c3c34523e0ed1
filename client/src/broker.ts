import {
  type Challenge,
  MPP_PROBLEM_BASE,
  MppError,
  type MppErrorCode,
  PAYMENT_PROBLEM_BASE,
} from '@hit-pay/mpp/protocol';

/** The broker's view of a one-time charge (docs/BROKER-API.md). */
export interface ChargeView {
  id: string;
  status:
    | 'creating'
    | 'pending'
    | 'paid'
    | 'redeeming'
    | 'redeemed'
    | 'expired'
    | 'refunding'
    | 'refunded'
    | 'failed';
  amount: string;
  currency: string;
  display_amount?: string;
  payment_request_id?: string;
  checkout_url?: string;
  qr_code?: string;
  polling_url?: string;
  expires_at?: string;
}

/** The broker's view of a saved-method setup. */
export interface SetupView {
  saved_method_id: string;
  status: 'pending' | 'active' | 'detached' | 'revoked' | 'expired';
  setup_checkout_url?: string;
  setup_token?: string;
  polling_url?: string;
  expires_at?: string;
  saved_method_jws?: string;
  rail?: string;
  currency?: string;
  max_amount_per_charge?: string;
  total_amount_cap?: string;
  remaining?: string;
}

/** A JSON call to the broker; problem documents become MppErrors with the broker's code. */
export async function brokerCall<T>(
  fetchImpl: typeof fetch,
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: init.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (error) {
    if (init.signal?.aborted) throw init.signal.reason;
    throw new MppError('service-unavailable', `Broker unreachable at ${new URL(url).origin}`, {
      cause: error,
      retryAfter: 2,
    });
  }
  const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (!res.ok) {
    const type = typeof body?.type === 'string' ? body.type : '';
    const code = type.startsWith(PAYMENT_PROBLEM_BASE)
      ? type.slice(PAYMENT_PROBLEM_BASE.length)
      : type.startsWith(MPP_PROBLEM_BASE)
        ? type.slice(MPP_PROBLEM_BASE.length)
        : res.status >= 500
          ? 'service-unavailable'
          : 'upstream-error';
    const retry = res.headers.get('retry-after');
    throw new MppError(
      code as MppErrorCode,
      typeof body?.detail === 'string' ? body.detail : `Broker answered ${res.status}`,
      {
        ...(retry ? { retryAfter: Number(retry) } : {}),
      },
    );
  }
  return body as T;
}

/** Base URL of the broker named by a challenge's methodDetails. */
export function brokerOf(methodDetails: Record<string, unknown>): string {
  const b = methodDetails.broker;
  if (typeof b !== 'string' || !/^https?:\/\//.test(b)) {
    throw new MppError('malformed-challenge', 'The challenge names no broker URL');
  }
  return b.replace(/\/+$/, '');
}

/** Creates (once) the HitPay checkout of a `hitpay` challenge and returns the charge view. */
export function createCharge(
  fetchImpl: typeof fetch,
  broker: string,
  challenge: Challenge,
  signal?: AbortSignal,
): Promise<ChargeView> {
  return brokerCall<ChargeView>(fetchImpl, `${broker}/v1/charges`, {
    method: 'POST',
    body: { challenge },
    signal,
  });
}

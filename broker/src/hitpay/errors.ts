/**
 * `HitPayError`: every failure talking to HitPay, as an `MppError` (`upstream-error` for HitPay's
 * refusals, `service-unavailable` for 5xx, 429, timeouts and network failures), keeping HitPay's
 * own `message`, `errors` and HTTP status. `outcomeUnknown` marks a non-idempotent call (a charge, a
 * refund, a create without a reference) that may or may not have taken effect: reconcile, never
 * retry blindly. Messages never contain the API key.
 */
import { MppError, type MppErrorOptions } from '@hit-pay/mpp/protocol';

const BRAND = Symbol.for('@hit-pay/mpp-broker.HitPayError');

/** What went wrong on the wire, when HitPay's answer is not the reason. */
export type HitPayFailureKind = 'http' | 'timeout' | 'network' | 'invalid-response';

/** Fields of a {@link HitPayError}. */
export interface HitPayErrorDetails {
  /** Client method that failed, e.g. `createPaymentRequest`. */
  operation: string;
  kind: HitPayFailureKind;
  /** HitPay's HTTP status (not ours: `status` is the problem status we would answer with). */
  hitpayStatus?: number;
  /** HitPay's `message`. */
  hitpayMessage?: string;
  /** HitPay's Laravel field errors (`{amount: ["The amount must be …"]}`). */
  hitpayErrors?: Record<string, string[]>;
  /** The call may have taken effect at HitPay; reconcile before retrying. */
  outcomeUnknown?: boolean;
  /** Retrying the same request could succeed (5xx, 429, timeout, network). */
  retryable?: boolean;
}

/**
 * A failed HitPay API call. Likely causes: a wrong or live key on the sandbox host (401), a
 * validation error (422, see `hitpayErrors`), an unknown id (404), or HitPay being slow or down.
 *
 * @example
 * try { await hitpay.chargeSavedMethod(id, { amount: '5.00', currency: 'SGD' }); }
 * catch (e) { if (e instanceof HitPayError && e.outcomeUnknown) await reconcile(id); }
 */
export class HitPayError extends MppError {
  readonly operation: string;
  readonly kind: HitPayFailureKind;
  readonly hitpayStatus: number | undefined;
  readonly hitpayMessage: string | undefined;
  readonly hitpayErrors: Readonly<Record<string, string[]>> | undefined;
  readonly outcomeUnknown: boolean;
  readonly retryable: boolean;
  declare readonly [BRAND]: true;

  constructor(details: HitPayErrorDetails, detail: string, options: MppErrorOptions = {}) {
    const unavailable =
      details.kind === 'timeout' || details.kind === 'network' || (details.hitpayStatus ?? 0) >= 500;
    const code = unavailable || details.hitpayStatus === 429 ? 'service-unavailable' : 'upstream-error';
    super(code, `HitPay ${details.operation}: ${detail}`, options);
    this.name = 'HitPayError';
    this.operation = details.operation;
    this.kind = details.kind;
    this.hitpayStatus = details.hitpayStatus;
    this.hitpayMessage = details.hitpayMessage;
    this.hitpayErrors = details.hitpayErrors;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
    this.retryable = details.retryable ?? false;
    Object.defineProperty(this, BRAND, { value: true });
  }

  // MppError's check only looks for its own brand, which would make every MppError a HitPayError.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * One error class for the whole product. Every failure has a stable string `code`; wire-facing codes
 * are the problem types registered by draft-httpauth-payment-00/-01 and map to their HTTP status and
 * RFC 9457 body here, so adapters serialize errors but never decide what they mean.
 */

/** Base URI of the problem types registered by the Payment scheme drafts. */
export const PAYMENT_PROBLEM_BASE = 'https://paymentauth.org/problems/';
/** Base URI of HitPay MPP's own problem types (errors outside the Payment scheme registry). */
export const MPP_PROBLEM_BASE = 'https://mpp.hitpay.dev/problems/';

interface ProblemSpec {
  readonly status: number;
  readonly title: string;
  /** Registered by the Payment scheme drafts (type under paymentauth.org) or ours. */
  readonly registered: boolean;
}

const PROBLEMS = {
  // draft-httpauth-payment-00
  'payment-required': { status: 402, title: 'Payment Required', registered: true },
  'payment-insufficient': { status: 402, title: 'Payment Insufficient', registered: true },
  'payment-expired': { status: 402, title: 'Payment Expired', registered: true },
  'verification-failed': { status: 402, title: 'Verification Failed', registered: true },
  'method-unsupported': { status: 400, title: 'Method Unsupported', registered: true },
  'malformed-credential': { status: 402, title: 'Malformed Credential', registered: true },
  'invalid-challenge': { status: 402, title: 'Invalid Challenge', registered: true },
  // draft-httpauth-payment-01
  'bad-request': { status: 400, title: 'Bad Request', registered: true },
  'invalid-payload': { status: 402, title: 'Invalid Payload', registered: true },
  'internal-payment-error': { status: 500, title: 'Internal Payment Error', registered: true },
  'payment-action-required': { status: 402, title: 'Payment Action Required', registered: true },
  // HitPay MPP
  'malformed-challenge': { status: 502, title: 'Malformed Challenge', registered: false },
  'malformed-receipt': { status: 502, title: 'Malformed Receipt', registered: false },
  'invalid-config': { status: 500, title: 'Invalid Configuration', registered: false },
  unauthorized: { status: 401, title: 'Unauthorized', registered: false },
  forbidden: { status: 403, title: 'Forbidden', registered: false },
  'tls-required': { status: 403, title: 'HTTPS Required', registered: false },
  'not-found': { status: 404, title: 'Not Found', registered: false },
  conflict: { status: 409, title: 'Conflict', registered: false },
  // Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the draft names the statuses.
  'idempotency-conflict': { status: 409, title: 'Idempotency Key In Use', registered: false },
  'idempotency-mismatch': { status: 422, title: 'Idempotency Key Reused', registered: false },
  'idempotency-unavailable': { status: 409, title: 'Idempotent Response Unavailable', registered: false },
  'payload-too-large': { status: 413, title: 'Payload Too Large', registered: false },
  'rate-limited': { status: 429, title: 'Too Many Requests', registered: false },
  'upstream-error': { status: 502, title: 'Upstream Error', registered: false },
  'service-unavailable': { status: 503, title: 'Service Unavailable', registered: false },
  'grant-invalid': { status: 402, title: 'Grant Invalid', registered: false },
  'grant-exhausted': { status: 402, title: 'Grant Exhausted', registered: false },
  'receipt-invalid': { status: 502, title: 'Receipt Invalid', registered: false },
  // Agent-side outcomes (the client never sends these; the status says who is at fault).
  'payment-declined': { status: 402, title: 'Payment Declined', registered: false },
  'budget-exceeded': { status: 402, title: 'Budget Exceeded', registered: false },
  'challenge-expired': { status: 402, title: 'Challenge Expired', registered: false },
  'payment-timeout': { status: 408, title: 'Payment Timeout', registered: false },
  'no-payable-challenge': { status: 402, title: 'No Payable Challenge', registered: false },
} as const satisfies Record<string, ProblemSpec>;

/** Every stable error code. The first eleven are the Payment scheme's registered problem types. */
export type MppErrorCode = keyof typeof PROBLEMS;

/** Codes of the problem types registered by the Payment scheme drafts. */
export const REGISTERED_PROBLEMS: readonly MppErrorCode[] = Object.entries(PROBLEMS)
  .filter(([, p]) => p.registered)
  .map(([code]) => code as MppErrorCode);

/** RFC 9457 problem details document, with the Payment scheme's `challengeId` extension. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  challengeId?: string;
  [extension: string]: unknown;
}

export interface MppErrorOptions {
  cause?: unknown;
  /** Seconds after which the client may retry (sent as `Retry-After`). */
  retryAfter?: number;
  /** Extension members added to the problem body. Never put secrets or credentials here. */
  extensions?: Record<string, unknown>;
}

const BRAND = Symbol.for('@hit-pay/mpp.MppError');

/**
 * The single error type of HitPay MPP. `code` is stable; `status` and `toProblem()` give the HTTP
 * mapping. `instanceof` works across duplicate installs of the package.
 *
 * @example
 * throw new MppError('payment-expired', 'Challenge expired at 2026-01-01T00:00:00Z');
 */
export class MppError extends Error {
  readonly code: MppErrorCode;
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly retryAfter: number | undefined;
  readonly extensions: Readonly<Record<string, unknown>> | undefined;
  declare readonly [BRAND]: true;

  constructor(code: MppErrorCode, detail?: string, options: MppErrorOptions = {}) {
    const spec: ProblemSpec = PROBLEMS[code] ?? PROBLEMS['internal-payment-error'];
    super(
      `[${code}] ${detail ?? spec.title}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'MppError';
    this.code = code;
    this.status = spec.status;
    this.title = spec.title;
    this.type = (spec.registered ? PAYMENT_PROBLEM_BASE : MPP_PROBLEM_BASE) + code;
    this.retryAfter = options.retryAfter;
    this.extensions = options.extensions;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** The detail text without the `[code]` prefix. */
  get detail(): string {
    return this.message.slice(this.code.length + 3);
  }

  /** The RFC 9457 body for this error. */
  toProblem(challengeId?: string): ProblemDetails {
    const body: ProblemDetails = {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
    };
    if (challengeId !== undefined) body.challengeId = challengeId;
    if (this.extensions) for (const [k, v] of Object.entries(this.extensions)) if (!(k in body)) body[k] = v;
    return body;
  }

  /** Wraps anything thrown into an MppError (unknown failures become `internal-payment-error`). */
  static from(error: unknown): MppError {
    if (error instanceof MppError) return error;
    return new MppError('internal-payment-error', 'Unexpected payment processing error', { cause: error });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep ordinary prototype checks; only the base class duck-types across copies.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against.
    if (this !== MppError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Thrown at start-up (never per request) when options are missing or invalid. */
export class MppConfigError extends MppError {
  /** The option (or environment variable) at fault. */
  readonly option: string;
  constructor(pkg: string, option: string, detail: string) {
    super('invalid-config', `${pkg}: option "${option}" ${detail}`);
    this.name = 'MppConfigError';
    this.option = option;
  }
}

/** The problem spec of a code: its HTTP status and title. */
export function problemSpec(code: MppErrorCode): { status: number; title: string; type: string } {
  const spec: ProblemSpec = PROBLEMS[code];
  return {
    status: spec.status,
    title: spec.title,
    type: (spec.registered ? PAYMENT_PROBLEM_BASE : MPP_PROBLEM_BASE) + code,
  };
}

/**
 * Errors the sandbox answers with. They carry HitPay's own JSON bodies (Laravel shapes:
 * `{message}` or `{message, errors:{field:[msg]}}`), never RFC 9457 problem documents, because the
 * sandbox imitates HitPay rather than our API.
 */

/** HitPay's error body: always `message`, plus per-field `errors` on validation failures. */
export interface HitPayErrorBody {
  message: string;
  errors?: Record<string, string[]>;
}

/** A request failure the server turns into an HTTP response with a HitPay-shaped body. */
export class SandboxHttpError extends Error {
  readonly status: number;
  readonly body: HitPayErrorBody;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, body: HitPayErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.name = 'SandboxHttpError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** Thrown by `startSandbox` (never per request) when options or the state file are invalid. */
export class SandboxConfigError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`@hit-pay/mpp-sandbox: ${detail}`, options);
    this.name = 'SandboxConfigError';
  }
}

/** Eloquent model names HitPay puts in its 404 message. */
export type HitPayModel = 'PaymentRequest' | 'RecurringBilling' | 'Charge' | 'Refund' | 'WebhookEvent';

/** HitPay's 404 for a missing (or another business's) resource. */
export function modelNotFound(model: HitPayModel, id: string): SandboxHttpError {
  return new SandboxHttpError(404, { message: `No query results for model [App\\Business\\${model}] ${id}` });
}

/**
 * Laravel's 422: `message` is the first error, with "(and N more error[s])" appended when there are
 * several, which is what Laravel 9+ sends.
 */
export function validationFailed(errors: Record<string, string[]>): SandboxHttpError {
  const all = Object.values(errors).flat();
  const first = all[0] ?? 'The given data was invalid.';
  const more = all.length - 1;
  const message = more > 0 ? `${first} (and ${more} more error${more === 1 ? '' : 's'})` : first;
  return new SandboxHttpError(422, { message, errors });
}

/** A 422 for one field with one message. */
export function fieldInvalid(field: string, message: string): SandboxHttpError {
  return validationFailed({ [field]: [message] });
}

/** A plain `{message}` error at any status (HitPay's shape for 400/409-style refusals). */
export function refused(status: number, message: string): SandboxHttpError {
  return new SandboxHttpError(status, { message });
}

import { MppError, type MppErrorOptions } from '@hit-pay/mpp/protocol';

/**
 * What can stop an agent's payment, as typed errors. All are `MppError`s with stable codes, so
 * `switch (error.code)` works across packages.
 */

/** The person (or the `onChallenge` policy) declined to pay. Nothing was paid. */
export class PaymentDeclined extends MppError {
  constructor(detail = 'Payment was declined', options?: MppErrorOptions) {
    super('payment-declined', detail, options);
    this.name = 'PaymentDeclined';
  }
}

/** The price is above a budget cap. Checked before anything is paid. */
export class BudgetExceeded extends MppError {
  constructor(detail: string, options?: MppErrorOptions) {
    super('budget-exceeded', detail, options);
    this.name = 'BudgetExceeded';
  }
}

/** The challenge expired before the payment completed. */
export class ChallengeExpired extends MppError {
  constructor(detail = 'The challenge expired before it was paid', options?: MppErrorOptions) {
    super('challenge-expired', detail, options);
    this.name = 'ChallengeExpired';
  }
}

/** The payment did not complete within the `timeout`. */
export class PaymentTimeout extends MppError {
  constructor(detail = 'Timed out waiting for the payment', options?: MppErrorOptions) {
    super('payment-timeout', detail, options);
    this.name = 'PaymentTimeout';
  }
}

/** The receipt is missing, malformed, or its signature or claims do not match what was paid. */
export class ReceiptInvalid extends MppError {
  constructor(detail: string, options?: MppErrorOptions) {
    super('receipt-invalid', detail, options);
    this.name = 'ReceiptInvalid';
  }
}

/** The 402 offered no challenge this client can pay (or none matched `accept`). */
export class NoPayableChallenge extends MppError {
  constructor(detail: string, options?: MppErrorOptions) {
    super('no-payable-challenge', detail, options);
    this.name = 'NoPayableChallenge';
  }
}

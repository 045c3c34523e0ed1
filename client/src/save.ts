import { MppError } from '@hit-pay/mpp/protocol';
import { brokerCall, brokerOf, type SetupView } from './broker.js';
import { NoPayableChallenge } from './errors.js';
import { acceptPayment, readOffers } from './offers.js';
import { poll } from './poll.js';

export interface MppSaveMethodOptions {
  /** The wallet to save: `grabpay_direct`, `shopee_pay`, `touch_n_go` (MYR), … */
  paymentMethod: string;
  /** The payer's e-mail (HitPay ties the saved method to a customer). */
  customerEmail: string;
  /** Shows the wallet's approval link to the person (open it, render it as a QR…). */
  onSetupUrl: (url: string) => void | Promise<void>;
  /** First polling interval, ms (default 1000). */
  pollInterval?: number;
  /** Most ms to wait for the approval (default 15 minutes). */
  timeout?: number;
  signal?: AbortSignal;
  /** Extra request headers for the first call (e.g. the `x-user-email` your API reads). */
  headers?: ConstructorParameters<typeof Headers>[0];
  fetch?: typeof fetch;
}

/** An approved saved method: the grant JWS to present on later calls, and its scope. */
export interface SavedMethodGrant {
  /** The grant (`typ: mpp-spm+jwt`): a bearer credential, store it like a password. */
  jws: string;
  savedMethodId: string;
  rail: string;
  currency: string;
  maxAmountPerCharge: string;
  totalAmountCap: string;
  /** The API the grant was set up for. */
  url: string;
}

/**
 * Saves a wallet for an API that offers `hitpay-save`: reads the route's 402, starts a setup at the
 * broker for the chosen wallet, hands the approval link to the person, and waits for the grant.
 *
 * @example
 * const spm = await mppSaveMethod(url, { paymentMethod: 'grabpay_direct', customerEmail: 'ana@example.com', onSetupUrl: (u) => open(u) })
 */
export async function mppSaveMethod(
  input: string | URL,
  options: MppSaveMethodOptions,
): Promise<SavedMethodGrant> {
  const doFetch = options.fetch ?? fetch;
  const url = new URL(String(input));
  const headers = new Headers(options.headers);
  headers.set('accept-payment', acceptPayment(['hitpay-save']));
  const first = await doFetch(url, { headers, signal: options.signal });
  if (first.status !== 402) {
    throw new NoPayableChallenge(`${url.href} answered ${first.status}, not a 402 offering hitpay-save`);
  }
  const offer = readOffers(first).find((o) => o.method === 'hitpay-save');
  if (!offer) throw new NoPayableChallenge(`${url.href} does not offer hitpay-save`);
  const rails = offer.methodDetails.rails;
  if (Array.isArray(rails) && !rails.includes(options.paymentMethod)) {
    throw new MppError(
      'bad-request',
      `${options.paymentMethod} is not accepted here (rails: ${rails.join(', ')})`,
    );
  }
  const broker = brokerOf(offer.methodDetails);
  const setup = await brokerCall<SetupView>(doFetch, `${broker}/v1/saved-payment-methods`, {
    method: 'POST',
    body: {
      challenge: offer.challenge,
      payment_method: options.paymentMethod,
      customer_email: options.customerEmail,
    },
    signal: options.signal,
  });
  if (!setup.setup_checkout_url || !setup.setup_token)
    throw new MppError('upstream-error', 'The broker returned no setup link');
  await options.onSetupUrl(setup.setup_checkout_url);
  const pollingUrl = setup.polling_url ?? `${broker}/v1/saved-payment-methods/${setup.saved_method_id}`;
  const active = await poll<SetupView>(
    async () => {
      const view = await brokerCall<SetupView>(doFetch, pollingUrl, {
        headers: { 'x-setup-token': setup.setup_token! },
        signal: options.signal,
      });
      if (view.status === 'active' && view.saved_method_jws) return { done: true, value: view };
      if (view.status !== 'pending')
        throw new MppError('payment-declined', `The wallet setup ended as ${view.status}`);
      return { done: false };
    },
    { interval: options.pollInterval, timeout: options.timeout, signal: options.signal },
  );
  return {
    jws: active.saved_method_jws!,
    savedMethodId: active.saved_method_id,
    rail: active.rail ?? options.paymentMethod,
    currency: active.currency ?? offer.currency,
    maxAmountPerCharge:
      active.max_amount_per_charge ?? String(offer.methodDetails.max_amount_per_charge ?? ''),
    totalAmountCap: active.total_amount_cap ?? String(offer.methodDetails.total_amount_cap ?? ''),
    url: url.href,
  };
}

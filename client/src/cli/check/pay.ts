import { base64url, type Challenge } from '@hit-pay/mpp/protocol';
import { brokerCall, brokerOf, type ChargeView, createCharge } from '../../broker.js';
import { poll } from '../../poll.js';

/** A `hitpay` challenge paid in the sandbox: the payload that proves it, and where it was paid. */
export interface SandboxPayment {
  payload: { payment_request_id: string };
  broker: string;
  paymentRequestId: string;
}

/**
 * Pays a `hitpay` challenge as a person would, without a browser: opens its checkout at the
 * broker the challenge names, presses Pay in the HitPay sandbox
 * (`POST /_sandbox/payment-requests/{id}/pay`), and waits until the broker has heard of it.
 */
export async function payInSandbox(
  challenge: Challenge,
  sandbox: string,
  timeoutMs = 30_000,
): Promise<SandboxPayment> {
  const request = JSON.parse(base64url.decodeText(challenge.request)) as {
    methodDetails?: Record<string, unknown>;
  };
  const broker = brokerOf(request.methodDetails ?? {});
  const charge = await createCharge(fetch, broker, challenge);
  const id = charge.payment_request_id;
  if (!id) throw new Error(`the broker opened no HitPay payment request for ${challenge.id}`);
  // A challenge that already paid has its charge paid or redeemed: there is nothing left to pay.
  if (charge.status !== 'pending') throw new Error(`its charge is ${charge.status} already`);
  const paid = await fetch(`${sandbox}/_sandbox/payment-requests/${encodeURIComponent(id)}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  }).catch((error: unknown) => {
    throw new Error(`the sandbox at ${sandbox} is unreachable`, { cause: error });
  });
  if (!paid.ok)
    throw new Error(
      `the sandbox at ${sandbox} answered ${paid.status} to paying ${id}: is the server wired to this sandbox?`,
    );
  const pollingUrl = charge.polling_url ?? `${broker}/v1/charges/${challenge.id}`;
  await poll<ChargeView>(
    async () => {
      const view = await brokerCall<ChargeView>(fetch, pollingUrl);
      if (view.status === 'paid') return { done: true, value: view };
      if (view.status !== 'pending' && view.status !== 'creating')
        throw new Error(`the charge ended as ${view.status} instead of paid`);
      return { done: false };
    },
    { interval: 100, maxInterval: 500, timeout: timeoutMs },
  );
  return { payload: { payment_request_id: id }, broker, paymentRequestId: id };
}

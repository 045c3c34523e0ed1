/**
 * What an agent and a paying person do, step by step, against a {@link World}: read a 402, open
 * the checkout, pay in the sandbox, build the credential; set up a saved wallet and get its grant.
 */
import { randomBytes } from 'node:crypto';
import { requestHash } from '@hit-pay/mpp';
import { type Challenge, formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import type { World } from './world.ts';

/** The challenge of `method` in a 402 (throws when there is none). */
export function challengeOf(res: Response, method = 'hitpay'): Challenge {
  const header = res.headers.get('www-authenticate');
  if (!header) throw new Error(`no challenge (status ${res.status})`);
  const c = parseChallenges(header).find((x) => x.method === method);
  if (!c) throw new Error(`no ${method} challenge in ${header.slice(0, 200)}`);
  return c;
}

/** `Payment …` for a challenge and payload. */
export function credentialFor(challenge: Challenge, payload: Record<string, unknown>): string {
  return formatCredential({ challenge: challenge as never, payload: payload as never });
}

/** Opens the checkout of a `hitpay` challenge through the API's mount; returns the charge view. */
export async function openCheckout(w: World, challenge: Challenge): Promise<Record<string, string>> {
  const res = await fetch(`${w.api.url}/mpp/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ challenge }),
  });
  const body = (await res.json()) as Record<string, string>;
  if (res.status !== 200)
    throw Object.assign(new Error(`checkout ${res.status}: ${JSON.stringify(body)}`), {
      status: res.status,
      body,
    });
  return body;
}

export interface PaidChallenge {
  challenge: Challenge;
  credential: string;
  paymentRequestId: string;
}

/** 402 → checkout → the person pays → webhook: a credential that redeems `path` once. */
export async function payOnce(w: World, path: string, init: RequestInit = {}): Promise<PaidChallenge> {
  const res = await fetch(`${w.api.url}${path}`, init);
  if (res.status !== 402) throw new Error(`${path} answered ${res.status}`);
  await res.arrayBuffer();
  const challenge = challengeOf(res, 'hitpay');
  const view = await openCheckout(w, challenge);
  w.sandbox.pay(view.payment_request_id);
  await w.sandbox.webhooksIdle();
  return {
    challenge,
    credential: credentialFor(challenge, { payment_request_id: view.payment_request_id }),
    paymentRequestId: view.payment_request_id,
  };
}

export interface ActiveGrant {
  challenge: Challenge;
  grant: string;
  savedMethodId: string;
  setupToken: string;
  pollingUrl: string;
}

/** 402 → setup at the broker → the wallet approves → webhook → poll with the token: the grant. */
export async function saveWallet(
  w: World,
  path = '/hourly/1',
  rail = 'grabpay_direct',
): Promise<ActiveGrant> {
  const res = await fetch(`${w.api.url}${path}`);
  const challenge = challengeOf(res, 'hitpay-save');
  await res.arrayBuffer();
  const setupRes = await fetch(`${w.api.url}/mpp/v1/saved-payment-methods`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ challenge, payment_method: rail }),
  });
  const setup = (await setupRes.json()) as Record<string, string>;
  if (setupRes.status !== 201) throw new Error(`setup ${setupRes.status}: ${JSON.stringify(setup)}`);
  w.sandbox.approve(new URL(setup.setup_checkout_url).pathname.split('/').pop()!);
  await w.sandbox.webhooksIdle();
  const view = (await (
    await fetch(setup.polling_url, { headers: { authorization: `Bearer ${setup.setup_token}` } })
  ).json()) as Record<string, string>;
  if (view.status !== 'active') throw new Error(`setup is ${view.status}`);
  return {
    challenge,
    grant: view.saved_method_jws,
    savedMethodId: setup.saved_method_id,
    setupToken: setup.setup_token,
    pollingUrl: setup.polling_url,
  };
}

export const nonce = () => randomBytes(16).toString('base64url');

/** A `hitpay-save` credential for one request (GET `path` unless said otherwise). */
export function grantCredential(
  challenge: Challenge,
  grant: string,
  path: string,
  method = 'GET',
  n = nonce(),
): string {
  return credentialFor(challenge, { grant, nonce: n, request_hash: requestHash({ method, target: path }) });
}

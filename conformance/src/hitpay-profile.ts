import { createMpp, type MppOptions } from '@hit-pay/mpp';
import { base64url, type Challenge, parseReceipt } from '@hit-pay/mpp/protocol';
import { remoteJwks, verifyReceipt } from '@hit-pay/mpp/receipts';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { expect } from 'vitest';
import { CONFORMANCE_REALM, CONFORMANCE_SECRET, type ContextState, fixtureContext } from './context.js';

/**
 * The `hitpay` profile: scenarios run against the real `hitpay` method, the embedded broker
 * (in-memory PGlite, one per test process) and the offline HitPay sandbox (one per suite), with
 * the real clock. Payments are made the way a person makes them: the checkout is opened at the
 * broker, then paid on HitPay's side (the sandbox's pay endpoint).
 */
const API_KEY = 'test_conformance_hitpay_key';

let sandbox: Promise<Sandbox> | undefined;

/** The suite's sandbox, started on first use. */
export function sharedSandbox(): Promise<Sandbox> {
  sandbox ??= startSandbox({ port: 0, webhookRetryDelaysMs: [50, 200] });
  return sandbox;
}

/** Stops the suite's sandbox (afterAll). */
export async function closeSharedSandbox(): Promise<void> {
  const s = sandbox;
  sandbox = undefined;
  await (await s)?.close();
}

const counters = (s: Sandbox) => ({
  paymentRequests: s.stats.created.paymentRequests,
  completed: s.stats.outcomes.completed,
});

/** A scenario context for the hitpay profile. */
export async function createHitPayContext(
  variant: string,
): Promise<ContextState & { sandbox: Sandbox; baseline: ReturnType<typeof counters> }> {
  const s = await sharedSandbox();
  const options: MppOptions = {
    apiKey: API_KEY,
    // The suite recomputes every challenge id with the conformance secret.
    secretKey: CONFORMANCE_SECRET,
    realm: CONFORMANCE_REALM,
    apiSalt: s.business(API_KEY).salt,
    hitpayBaseUrl: s.url,
    database: 'memory://',
    requireTls: false,
    brokerOptions: { reconcileIntervalMs: 0 },
  };
  const { context, runs } = fixtureContext(variant, createMpp(options), options);
  return {
    context,
    runs,
    stats: () => ({ verifyCalls: 0, commits: 0, releases: 0 }),
    advance() {
      throw new Error('the hitpay profile runs on the real clock');
    },
    now: () => Date.now(),
    sandbox: s,
    baseline: counters(s),
  };
}

const brokerOf = (c: Challenge): string =>
  (JSON.parse(base64url.decodeText(c.request)) as { methodDetails: { broker: string } }).methodDetails.broker;

/** Opens the challenge's checkout at its broker, pays it in the sandbox unless told not to, and returns the payload. */
export async function payHitPay(
  challenge: Challenge,
  mode: true | 'unpaid',
  s: Sandbox,
): Promise<Record<string, unknown>> {
  const broker = brokerOf(challenge);
  const res = await fetch(`${broker}/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ challenge }),
  });
  const view = (await res.json()) as { payment_request_id?: string; polling_url?: string };
  if (!res.ok || !view.payment_request_id)
    throw new Error(`the broker did not open the checkout: ${res.status} ${JSON.stringify(view)}`);
  if (mode === true) {
    s.pay(view.payment_request_id);
    await expect
      .poll(async () => ((await (await fetch(view.polling_url!)).json()) as { status: string }).status, {
        timeout: 10_000,
        interval: 50,
      })
      .toBe('paid');
  }
  return { payment_request_id: view.payment_request_id };
}

/** The sandbox counters since the scenario began. */
export function sandboxSince(state: ContextState): { paymentRequests: number; completed: number } {
  const h = state as ContextState & { sandbox?: Sandbox; baseline?: ReturnType<typeof counters> };
  if (!h.sandbox || !h.baseline) throw new Error('sandbox expectations need the hitpay profile');
  const now = counters(h.sandbox);
  return {
    paymentRequests: now.paymentRequests - h.baseline.paymentRequests,
    completed: now.completed - h.baseline.completed,
  };
}

/** Checks the receipt's JWS against the JWKS of the broker named by the challenge it paid. */
export async function checkSignedReceipt(header: string | undefined, challenge: Challenge): Promise<void> {
  expect(header, 'a Payment-Receipt').toBeDefined();
  const receipt = parseReceipt(header!);
  expect(typeof receipt.jws, 'the receipt carries a JWS').toBe('string');
  const claims = await verifyReceipt(
    String(receipt.jws),
    remoteJwks(`${brokerOf(challenge)}/.well-known/jwks.json`),
    {
      audience: challenge.realm,
    },
  );
  expect(claims.challengeId, 'the signed receipt names the challenge').toBe(challenge.id);
  expect(claims.reference, 'the signed receipt names the HitPay payment').toBe(receipt.reference);
}

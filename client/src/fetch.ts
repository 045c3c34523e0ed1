import { displayAmount } from '@hit-pay/mpp';
import { requestHash } from '@hit-pay/mpp/binding';
import {
  base64url,
  type Challenge,
  contentDigest,
  formatCredential,
  MppError,
  type MppErrorCode,
  PAYMENT_AUTHORIZATION,
  PAYMENT_PROBLEM_BASE,
} from '@hit-pay/mpp/protocol';
import { brokerCall, brokerOf, type ChargeView, createCharge } from './broker.js';
import { type Budget, BudgetGuard } from './budget.js';
import { ChallengeExpired, NoPayableChallenge, PaymentDeclined } from './errors.js';
import { type Ledger, MemoryLedger } from './ledger.js';
import { acceptPayment, type Offer, readOffers } from './offers.js';
import { poll, sleep } from './poll.js';
import { brokerKeys, type VerifiedReceipt, verifyPaymentReceipt } from './receipts.js';

/** What `onChallenge` is shown: the price and where a person pays it. */
export interface PaymentPrompt {
  id: string;
  method: string;
  /** Minor units, and the same for people. */
  amount: string;
  currency: string;
  displayAmount: string;
  description?: string;
  /** When the challenge lapses (RFC 3339). */
  expires?: string;
  /** The resource being paid for. */
  url: string;
  /** The request's methodDetails plus `checkout_url`, `qr_code` (PayNow EMV payload), `polling_url`. */
  methodDetails: Record<string, unknown> & { checkout_url?: string; qr_code?: string; polling_url?: string };
  challenge: Challenge;
}

/** `onChallenge`'s answer: pay (and wait for the person to complete the checkout) or decline. */
export type PayDecision = { pay: boolean } | boolean;

export interface MppFetchOptions extends RequestInit {
  /** Shows the checkout to a person and answers pay or decline. Needed for one-time payments. */
  onChallenge?: (prompt: PaymentPrompt) => PayDecision | Promise<PayDecision>;
  /** A saved-method grant (from mppSaveMethod): pays `hitpay-save` challenges with no checkout. */
  savedMethodJws?: string;
  /** Spending caps, checked before anything is paid. */
  budget?: Budget;
  /** Where receipts are recorded (and budgets counted). Default: in memory for the process. */
  ledger?: Ledger;
  /** First polling interval, ms (default 1000). */
  pollInterval?: number;
  /** Most ms to wait for a payment (default 15 minutes). */
  timeout?: number;
  /** Called while waiting for the payment (progress displays). */
  onWaiting?: (elapsedMs: number, prompt: PaymentPrompt) => void;
  /** A fetch implementation (default the global one). */
  fetch?: typeof fetch;
}

export interface MppFetchResult {
  response: Response;
  /** The verified receipt when the call was paid. */
  receipt?: VerifiedReceipt;
}

const defaultLedger = new MemoryLedger();
/** Methods whose paid retries carry an Idempotency-Key (draft-ietf-httpapi-idempotency-key-header). */
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Reusable hitpay-save challenges per route (origin + path), so a saved method pays in one round trip. */
const savedChallenges = new Map<string, Offer>();

function bodyBytes(body: RequestInit['body']): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof URLSearchParams) return new TextEncoder().encode(body.toString());
  throw new MppError(
    'bad-request',
    'mppFetch needs a replayable body (string, bytes or URLSearchParams) to retry it',
  );
}

async function problemOf(res: Response): Promise<MppError> {
  const body = (await res
    .clone()
    .json()
    .catch(() => null)) as { type?: string; detail?: string } | null;
  const code = body?.type?.startsWith(PAYMENT_PROBLEM_BASE)
    ? body.type.slice(PAYMENT_PROBLEM_BASE.length)
    : body?.type?.split('/').pop();
  return new MppError(
    (code ?? 'verification-failed') as MppErrorCode,
    body?.detail ?? `Server answered ${res.status}`,
    {
      retryAfter: Number(res.headers.get('retry-after')) || undefined,
    },
  );
}

/**
 * Whether a saved-method grant may be shown to this server. A grant is a bearer credential: a
 * server that collected it could spend it at the API it belongs to (by replaying that API's own
 * reusable challenge). So the challenge must name the grant's realm and merchant, and a realm that
 * is a host name must be the host being called, or a parent domain of it.
 */
function grantFits(grant: string, offer: Offer, url: URL): boolean {
  let claims: { realm?: unknown; merchant?: unknown };
  try {
    claims = JSON.parse(base64url.decodeText(grant.split('.')[1] ?? ''));
  } catch {
    return false;
  }
  const realm = offer.challenge.realm.toLowerCase();
  if (claims.realm !== offer.challenge.realm || claims.merchant !== offer.methodDetails.merchant)
    return false;
  const hostLike =
    (/^[a-z0-9.-]+$/.test(realm) && (realm.includes('.') || realm === 'localhost')) ||
    /^\[[0-9a-f:.]+\]$/.test(realm);
  const host = url.hostname.toLowerCase();
  return !hostLike || host === realm || host.endsWith(`.${realm}`);
}

function nonce(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(18)));
}

/**
 * `fetch` that pays HTTP 402s. A `hitpay-save` challenge is paid with `savedMethodJws` under the
 * budget, in one round trip when a challenge for the route is cached. A `hitpay` challenge creates
 * the HitPay checkout, shows it to a person through `onChallenge`, polls until paid, and retries
 * with the credential. Receipts are verified against the broker's JWKS and recorded in the ledger.
 * A paid POST, PUT, PATCH or DELETE carries an `Idempotency-Key` (a random UUID, the same on every
 * paid attempt of the call) unless you set one in `headers`.
 *
 * @example
 * const { response, receipt } = await mppFetch(url, {
 *   onChallenge: (ch) => { console.log('pay here:', ch.methodDetails.checkout_url); return { pay: true } },
 * })
 */
export async function mppFetch(input: string | URL, options: MppFetchOptions = {}): Promise<MppFetchResult> {
  const {
    onChallenge,
    savedMethodJws,
    budget,
    pollInterval,
    timeout,
    onWaiting,
    fetch: fetchOpt,
    ...init
  } = options;
  const doFetch = fetchOpt ?? fetch;
  const ledger = options.ledger ?? defaultLedger;
  const url = new URL(String(input));
  const method = (init.method ?? 'GET').toUpperCase();
  const body = bodyBytes(init.body);
  const methods = savedMethodJws ? ['hitpay-save', 'hitpay'] : ['hitpay'];
  // One Idempotency-Key per call, made on the first paid attempt and sent on every later one: a
  // server that keeps it answers a repeat of a paid request with the original response instead of
  // refusing the spent credential (or running the handler twice).
  let idempotencyKey: string | undefined;
  const send = (credential?: string, challenge?: Challenge): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (!headers.has('accept-payment')) headers.set('accept-payment', acceptPayment(methods));
    // -01: a challenge with header="Payment-Authorization" is answered in that field, which
    // leaves the caller's own Authorization header alone.
    if (credential) {
      headers.set(
        challenge?.header === PAYMENT_AUTHORIZATION ? 'payment-authorization' : 'authorization',
        credential,
      );
      if (UNSAFE_METHODS.has(method) && !headers.has('idempotency-key')) {
        idempotencyKey ??= `"${crypto.randomUUID()}"`;
        headers.set('idempotency-key', idempotencyKey);
      }
    }
    return doFetch(url, {
      ...init,
      method,
      headers,
      body: body as RequestInit['body'],
      signal: init.signal,
    }).catch((error: unknown) => {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new MppError('service-unavailable', `Cannot reach ${url.origin}`, { cause: error });
    });
  };
  const routeKey = `${method} ${url.origin}${url.pathname}`;
  const hash = requestHash({
    method,
    target: url.pathname + url.search,
    bodyDigest: body?.length ? contentDigest(body) : undefined,
  });

  const payWithGrant = async (offer: Offer): Promise<{ response: Response; offer: Offer }> => {
    const credential = formatCredential({
      challenge: offer.challenge,
      payload: { grant: savedMethodJws!, nonce: nonce(), request_hash: hash },
    });
    return { response: await send(credential, offer.challenge), offer };
  };

  // A cached reusable challenge pays a saved-method call in one round trip.
  const cached = savedMethodJws ? savedChallenges.get(routeKey) : undefined;
  let response: Response;
  let offers: Offer[];
  if (cached && (cached.expiresAt ?? 0) > Date.now() + 5000 && grantFits(savedMethodJws!, cached, url)) {
    const guard = budget ? new BudgetGuard(budget, ledger) : undefined;
    const release = await guard?.reserve(url.host, cached.amount, cached.currency);
    try {
      response = (await payWithGrant(cached)).response;
      if (response.status !== 402) return finish(response, cached);
    } finally {
      release?.();
    }
    savedChallenges.delete(routeKey);
    offers = readOffers(response);
  } else {
    response = await send();
    if (response.status !== 402) return { response };
    offers = readOffers(response);
  }

  const savedOffer = savedMethodJws ? offers.find((o) => o.method === 'hitpay-save') : undefined;
  const saved = savedOffer && grantFits(savedMethodJws!, savedOffer, url) ? savedOffer : undefined;
  const oneTime = offers.find((o) => o.method === 'hitpay');
  const offer = saved ?? oneTime;
  if (!offer)
    throw new NoPayableChallenge(
      savedOffer
        ? `The saved-method grant is for another API than ${url.host}; it was not sent`
        : `No payable challenge (offered: ${offers.map((o) => o.method).join(', ') || 'none'})`,
    );
  const guard = budget ? new BudgetGuard(budget, ledger) : undefined;
  const release = await guard?.reserve(url.host, offer.amount, offer.currency);
  try {
    if (offer === saved) {
      savedChallenges.set(routeKey, saved);
      const { response: paid } = await payWithGrant(saved);
      if (paid.status === 402) throw await problemOf(paid);
      return await finish(paid, saved);
    }
    return await payOnce(offer);
  } finally {
    release?.();
  }

  async function payOnce(o: Offer): Promise<MppFetchResult> {
    const broker = brokerOf(o.methodDetails);
    const charge = await createCharge(doFetch, broker, o.challenge, init.signal ?? undefined);
    const prompt: PaymentPrompt = {
      id: o.challenge.id,
      method: o.method,
      amount: o.amount,
      currency: o.currency,
      displayAmount: displayAmount(o.amount, o.currency),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.challenge.expires !== undefined ? { expires: o.challenge.expires } : {}),
      url: url.href,
      methodDetails: {
        ...o.methodDetails,
        checkout_url: charge.checkout_url,
        qr_code: charge.qr_code,
        polling_url: charge.polling_url ?? `${broker}/v1/charges/${o.challenge.id}`,
        payment_request_id: charge.payment_request_id,
      },
      challenge: o.challenge,
    };
    const decision = onChallenge ? await onChallenge(prompt) : false;
    if (!(typeof decision === 'boolean' ? decision : decision?.pay)) {
      throw new PaymentDeclined(
        onChallenge
          ? 'Payment was declined'
          : 'A one-time payment needs an onChallenge handler to show the checkout',
      );
    }
    const deadline = Math.min(timeout ?? 15 * 60_000, (o.expiresAt ?? Number.POSITIVE_INFINITY) - Date.now());
    const paid = await poll<ChargeView>(
      async () => {
        const view = await brokerCall<ChargeView>(doFetch, prompt.methodDetails.polling_url!, {
          signal: init.signal ?? undefined,
        });
        // redeeming/redeemed: paid already (the retry tells whether this credential still works).
        if (view.status === 'paid' || view.status === 'redeeming' || view.status === 'redeemed') {
          return { done: true, value: view };
        }
        if (
          view.status === 'expired' ||
          view.status === 'failed' ||
          view.status === 'refunding' ||
          view.status === 'refunded'
        ) {
          throw new ChallengeExpired(`The checkout ended as ${view.status}`);
        }
        return { done: false };
      },
      {
        interval: pollInterval,
        timeout: deadline,
        signal: init.signal ?? undefined,
        onTick: (ms) => onWaiting?.(ms, prompt),
      },
    ).catch((error: unknown) => {
      if (
        error instanceof MppError &&
        error.code === 'payment-timeout' &&
        (o.expiresAt ?? Infinity) <= Date.now()
      ) {
        throw new ChallengeExpired();
      }
      throw error;
    });
    const credential = formatCredential({
      challenge: o.challenge,
      payload: { payment_request_id: paid.payment_request_id ?? charge.payment_request_id! },
    });
    // The server may still be waiting for HitPay's word: it answers payment-action-required.
    for (let attempt = 0; ; attempt++) {
      const res = await send(credential, o.challenge);
      if (res.status !== 402) return finish(res, o);
      const problem = await problemOf(res);
      if (problem.code !== 'payment-action-required' || attempt >= 10) throw problem;
      await sleep((problem.retryAfter ?? 1) * 1000, init.signal ?? undefined);
    }
  }

  async function finish(res: Response, o: Offer): Promise<MppFetchResult> {
    if (!res.ok) return { response: res };
    const opaque = o.challenge.opaque
      ? (JSON.parse(base64url.decodeText(o.challenge.opaque)) as { rh?: string })
      : undefined;
    const receipt = await verifyPaymentReceipt(
      res.headers.get('payment-receipt'),
      brokerKeys(brokerOf(o.methodDetails)),
      {
        method: o.method,
        challengeId: o.challenge.id,
        amount: o.amount,
        currency: o.currency,
        realm: o.challenge.realm,
        requestHash: opaque?.rh ?? hash,
      },
    );
    await ledger.append({
      at: Date.now(),
      url: url.href,
      host: url.host,
      method: o.method,
      amount: o.amount,
      currency: o.currency,
      reference: receipt.reference,
      challengeId: o.challenge.id,
      receipt: receipt.jws,
    });
    return { response: res, receipt };
  }
}

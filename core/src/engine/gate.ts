import { selectByAcceptPayment } from '../protocol/accept-payment.js';
import { computeChallengeId } from '../protocol/challenge-id.js';
import { type ChallengeEcho, type Credential, parseCredential } from '../protocol/credential.js';
import { MppError } from '../protocol/errors.js';
import { formatTimestamp, parseTimestamp } from '../protocol/expiry.js';
import { timingSafeEqual } from '../protocol/hash.js';
import { PAYMENT_AUTHORIZATION } from '../protocol/headers.js';
import { formatReceipt, type Receipt } from '../protocol/receipt.js';
import type { EventHub } from './events.js';
import { IdempotencyClaim, IdempotencyRecords, idempotencyKeyOf, type RecordStore } from './idempotency.js';
import type { Verification } from './method.js';
import {
  boundRequestHash,
  buildOffers,
  challengeFromEcho,
  issueChallenge,
  type Offer,
  type RequestFacts,
  readFacts,
  tlsRequired,
} from './offers.js';
import type { ResolvedEngineOptions } from './options.js';
import { countDecision } from './rate-limit.js';
import {
  type ChallengeDetails,
  prefersHtml,
  problemResponse,
  withExposed,
  withHtmlBody,
  withPrivate,
} from './responses.js';
import type { CompiledRoute } from './route.js';
import type { Decision, HeaderEntry, MppRequest, PassDecision, RespondDecision } from './types.js';

const encoder = new TextEncoder();
const PAYMENT_SCHEME = /^\s*payment(\s|$)/i;
/** A comma followed by another Payment scheme inside one field line (Fetch joins repeated lines). */
const SECOND_PAYMENT = /,\s*payment\s/i;

type Field = 'authorization' | 'payment-authorization';

/**
 * The error behind every plain 402. Built once: an Error captures a stack trace when constructed,
 * which measured as the single largest cost of issuing a 402; this one is never thrown.
 */
const PAYMENT_REQUIRED = Object.freeze(new MppError('payment-required', 'Payment is required.'));

/** Counts Payment credentials across both fields; returns the single one, or the count. */
function findCredential(req: MppRequest): { count: number; value?: string; field?: Field } {
  let count = 0;
  let value: string | undefined;
  let field: Field | undefined;
  for (const f of ['authorization', 'payment-authorization'] as const) {
    for (const line of req.headerLines(f)) {
      if (!PAYMENT_SCHEME.test(line)) continue;
      // base64url never holds a comma, so only a joined line needs the regex.
      count += line.includes(',') && SECOND_PAYMENT.test(line) ? 2 : 1;
      value = line;
      field = f;
    }
  }
  return { count, value, field };
}

/** Constant-time check of an echoed id against the HMAC of its echoed parameters, for every secret. */
function bindingHolds(opts: ResolvedEngineOptions, echo: ChallengeEcho): boolean {
  // All issued ids are 43 base64url characters, so a length mismatch reveals nothing secret.
  if (echo.id.length !== 43) return false;
  const presented = encoder.encode(echo.id);
  let ok = false;
  for (const secret of opts.secrets) {
    const expected = encoder.encode(computeChallengeId(secret, echo));
    // No early exit: every secret is tried, so timing does not reveal which key matched.
    if (timingSafeEqual(expected, presented)) ok = true;
  }
  return ok;
}

/** Constant-time equality of two optional digest values (a present digest has a fixed length). */
function sameDigest(echoed: string | undefined, actual: string | undefined): boolean {
  if (echoed === undefined || actual === undefined) return echoed === actual;
  return timingSafeEqual(encoder.encode(echoed), encoder.encode(actual));
}

/**
 * The gate: the ONLY place payment decisions are made. Given a request and its compiled route it
 * answers `respond` (402 with fresh challenges, or another error) or `pass` (paid; run the handler).
 */
export class Gate {
  /** Idempotency-Key records, when the option is on (options validated the store supports them). */
  private readonly idempotency: IdempotencyRecords | undefined;

  constructor(
    private readonly opts: ResolvedEngineOptions,
    private readonly events: EventHub,
  ) {
    const { store, idempotency, logger } = opts;
    this.idempotency = idempotency && new IdempotencyRecords(store as RecordStore, idempotency, logger);
  }

  async decide(req: MppRequest, route: CompiledRoute): Promise<Decision> {
    const now = this.opts.clock();
    let facts: RequestFacts | undefined;
    let offers: Offer[] | undefined;
    try {
      // Every decision counts, 402s and verifications alike; no key (or no limit) costs no await.
      const limited = this.opts.rateLimit && countDecision(this.opts.store, this.opts.rateLimit, req);
      if (limited) await limited;
      if (tlsRequired(this.opts, req)) throw new MppError('tls-required', 'Payment requires HTTPS');
      const found = findCredential(req);
      const f = readFacts(this.opts, req);
      facts = f instanceof Promise ? await f : f;
      const o = buildOffers(route, facts);
      offers = o instanceof Promise ? await o : o;
      if (found.count > 1)
        throw new MppError('bad-request', 'More than one Payment credential in the request');
      if (found.count === 0) {
        return this.challenge(req, route, facts, offers, now, PAYMENT_REQUIRED);
      }
      return await this.verify(req, route, facts, offers, now, found.value!, found.field!);
    } catch (thrown) {
      const error = MppError.from(thrown);
      if (error.code === 'internal-payment-error' && !(thrown instanceof MppError)) {
        this.opts.logger.error({ route: route.label, err: String(thrown) }, 'payment engine failure');
        this.events.emit('error', () => ({ error: thrown, context: `route ${route.label}` }));
      }
      return this.challenge(req, route, facts, offers, now, error);
    }
  }

  /** Answers with fresh challenges (when the offers could be built) and the error's problem. */
  private challenge(
    req: MppRequest,
    route: CompiledRoute,
    facts: RequestFacts | undefined,
    offers: Offer[] | undefined,
    now: number,
    error: MppError,
    reissue?: ChallengeEcho,
  ): RespondDecision {
    // Only 402 and 400 carry challenges: not 403 tls-required, 409/422 idempotency, 413, 429, 5xx.
    if (!facts || !offers || (error.status !== 402 && error.status !== 400)) {
      this.refused(route, error);
      return problemResponse(error, [], [], req.header('origin') !== undefined);
    }
    const selected = selectByAcceptPayment(offers, req.header('accept-payment'), (o) => ({
      method: o.method.name,
      intent: o.method.intent,
    }));
    const challenges = selected.map((o) =>
      reissue && o.method.name === reissue.method
        ? challengeFromEcho(reissue)
        : issueChallenge(this.opts, o, facts.realm, now),
    );
    const details: ChallengeDetails[] = selected.map((o, i) => ({
      ...(o.route.describe?.(challenges[i]!, o.requestObject, facts) ?? {}),
    }));
    if (error.code === 'payment-required') {
      this.events.emit('challenge', () => ({
        route: route.label,
        method: selected[0]?.method.name,
        amount: String(selected[0]?.requestObject.amount ?? ''),
        currency: String(selected[0]?.requestObject.currency ?? ''),
        challengeIds: challenges.map((c) => c.id),
      }));
      this.opts.logger.debug({ route: route.label, challenges: challenges.length }, '402 issued');
    } else this.refused(route, error);
    const decision = problemResponse(error, challenges, details, req.header('origin') !== undefined);
    const first = selected[0];
    if (error.status === 402 && first?.route.paywall && prefersHtml(req.header('accept'))) {
      return withHtmlBody(decision, first.route.paywall(challenges[0]!, first.requestObject, facts));
    }
    return decision;
  }

  private refused(route: CompiledRoute, error: MppError): void {
    this.opts.logger.debug({ route: route.label, code: error.code, status: error.status }, 'payment refused');
    this.events.emit('refused', () => ({ route: route.label, code: error.code, status: error.status }));
  }

  private async verify(
    req: MppRequest,
    route: CompiledRoute,
    facts: RequestFacts,
    offers: Offer[],
    now: number,
    header: string,
    field: Field,
  ): Promise<Decision> {
    const started = now;
    const credential: Credential = parseCredential(header);
    const echo = credential.challenge;
    const offer = offers.find((o) => o.method.name === echo.method && o.method.intent === echo.intent);
    if (!offer)
      throw new MppError('method-unsupported', `This route does not accept ${echo.method}/${echo.intent}`);
    if (!bindingHolds(this.opts, echo))
      throw new MppError('invalid-challenge', 'Challenge was not issued by this server');
    // Route pinning: the echo must be this route's current offer (realm, price, terms).
    if (echo.realm !== facts.realm || echo.request !== offer.request) {
      throw new MppError('invalid-challenge', 'Challenge was issued for another route or price');
    }
    // Request binding: a request-bound challenge pays for this very request only.
    const boundHash = boundRequestHash(echo.opaque);
    if (offer.requestHash === undefined ? echo.opaque !== undefined : boundHash === undefined) {
      throw new MppError('invalid-challenge', 'Challenge binding does not fit this route');
    }
    const wantField: Field =
      echo.header === PAYMENT_AUTHORIZATION ? 'payment-authorization' : 'authorization';
    if ((echo.header !== undefined && echo.header !== PAYMENT_AUTHORIZATION) || field !== wantField) {
      throw new MppError(
        'invalid-challenge',
        `The credential must be sent in ${wantField === 'authorization' ? 'Authorization' : PAYMENT_AUTHORIZATION}`,
      );
    }
    const expiresAt = echo.expires === undefined ? undefined : parseTimestamp(echo.expires);
    if (expiresAt === undefined) throw new MppError('invalid-challenge', 'Challenge has no valid expiry');
    const idemKey = this.idempotency && idempotencyKeyOf(req);
    const idem =
      idemKey === undefined
        ? undefined
        : {
            key: this.idempotency!.keyOf(facts.realm, echo.id, idemKey),
            fp: this.idempotency!.fingerprint(facts.requestHash, header),
          };
    if (now > expiresAt) {
      // A response stored under Idempotency-Key outlives its challenge (for the record's TTL).
      const replay = idem && (await this.idempotency!.afterExpiry(idem.key, idem.fp));
      if (replay) return replay;
      throw new MppError(
        this.opts.version === '00' ? 'invalid-challenge' : 'payment-expired',
        `Challenge expired at ${echo.expires}`,
      );
    }
    if (!sameDigest(echo.digest, offer.digest)) {
      throw new MppError('verification-failed', 'Request body does not match the paid digest');
    }
    if (boundHash !== offer.requestHash) {
      throw new MppError(
        'invalid-challenge',
        'Challenge was issued for another request (method, path or query)',
      );
    }
    let claim: IdempotencyClaim | undefined;
    if (idem) {
      // Before the method's proof check, which would refuse the spent credential of a repeat.
      const begun = await this.idempotency!.begin(idem.key, idem.fp, expiresAt - now + 60_000);
      if (!(begun instanceof IdempotencyClaim)) return begun;
      claim = begun;
    }

    let verification: Verification;
    try {
      // Built field by field: spreading `facts` here measured as the paid path's single largest cost.
      verification = await offer.route.verify({
        request: facts.request,
        realm: facts.realm,
        requestHash: facts.requestHash,
        origin: facts.origin,
        credential,
        challenge: echo,
        requestObject: offer.requestObject,
        expiresAt,
        settlement: route.settlement,
        now,
        store: this.opts.store,
      });
    } catch (thrown) {
      claim?.abandon();
      const error = MppError.from(thrown);
      if (error.code === 'payment-action-required') {
        // The checkout is still open: re-issue the same, still-valid challenge (draft §pending).
        return this.challenge(req, route, facts, offers, now, error, echo);
      }
      throw thrown;
    }
    return this.pass(
      route,
      echo,
      credential,
      verification,
      field,
      started,
      req.header('origin') !== undefined,
      claim,
    );
  }

  private pass(
    route: CompiledRoute,
    echo: ChallengeEcho,
    credential: Credential,
    v: Verification,
    field: Field,
    started: number,
    crossOrigin: boolean,
    claim: IdempotencyClaim | undefined,
  ): PassDecision {
    const receipt: Receipt = {
      status: 'success',
      method: echo.method,
      timestamp: formatTimestamp(this.opts.clock()),
      reference: v.reference,
      challengeId: echo.id,
      ...(v.receipt ?? {}),
    };
    const receiptHeader = formatReceipt(receipt);
    const payment = {
      method: echo.method,
      intent: echo.intent,
      challengeId: echo.id,
      amount: v.amount,
      currency: v.currency,
      reference: v.reference,
      receipt,
      ...(credential.source !== undefined ? { source: credential.source } : {}),
      ...(v.details !== undefined ? { details: v.details } : {}),
    };
    this.events.emit('paid', () => ({
      route: route.label,
      method: echo.method,
      intent: echo.intent,
      amount: v.amount,
      currency: v.currency,
      challengeId: echo.id,
      reference: v.reference,
      latencyMs: this.opts.clock() - started,
    }));
    let resolveSettled!: () => void;
    const settled = new Promise<void>((r) => {
      resolveSettled = r;
    });
    let finalized = false;
    const finalize = (status: number, current?: (name: string) => string | undefined): HeaderEntry[] => {
      if (finalized) return [];
      finalized = true;
      const ok = status >= 200 && status < 300;
      const keep = ok || route.settlement === 'always';
      claim?.finalized(status, keep);
      const headers: HeaderEntry[] = [];
      const cacheControl = current?.('cache-control');
      if (ok) {
        headers.push(['payment-receipt', receiptHeader], ['cache-control', withPrivate(cacheControl)]);
        if (crossOrigin)
          headers.push([
            'access-control-expose-headers',
            withExposed(current?.('access-control-expose-headers')),
          ]);
      } else if (field === 'payment-authorization') {
        // -01: responses to Payment-Authorization requests are never shared-cached.
        headers.push([
          'cache-control',
          /no-store|private/i.test(cacheControl ?? '') ? cacheControl! : 'no-store',
        ]);
      }
      const outcome = keep ? 'committed' : (v.undo ?? 'released');
      (keep ? v.commit() : v.release())
        .then(() => {
          this.events.emit('settled', () => ({
            route: route.label,
            method: echo.method,
            challengeId: echo.id,
            amount: v.amount,
            currency: v.currency,
            reference: v.reference,
            outcome,
            status,
          }));
        })
        .catch((error: unknown) => {
          this.opts.logger.error(
            { route: route.label, challengeId: echo.id, err: String(error) },
            'settlement failed',
          );
          this.events.emit('error', () => ({ error, context: `settlement of ${echo.id}` }));
        })
        .finally(resolveSettled);
      return headers;
    };
    return claim
      ? { kind: 'pass', payment, finalize, settled, record: claim }
      : { kind: 'pass', payment, finalize, settled };
  }
}

import { requestHash } from '../binding/request-hash.js';
import { base64url } from '../protocol/base64url.js';
import type { Challenge } from '../protocol/challenge.js';
import { computeChallengeId } from '../protocol/challenge-id.js';
import type { ChallengeEcho } from '../protocol/credential.js';
import { contentDigest } from '../protocol/digest.js';
import { MppError } from '../protocol/errors.js';
import { formatTimestamp } from '../protocol/expiry.js';
import { PAYMENT_AUTHORIZATION } from '../protocol/headers.js';
import { canonicalize } from '../protocol/jcs.js';
import type { MethodRoute, OfferContext, PaymentMethod, RequestObject } from './method.js';
import type { ResolvedEngineOptions } from './options.js';
import type { CompiledRoute } from './route.js';
import type { MppRequest } from './types.js';

/** One method's priced offer for one request, before an id and expiry are stamped on it. */
export interface Offer {
  readonly method: PaymentMethod;
  readonly route: MethodRoute;
  readonly requestObject: RequestObject;
  /** base64url(JCS(requestObject)): exactly what the challenge carries and the id binds. */
  readonly request: string;
  /** The request hash to bind through `opaque`, for request-bound methods. */
  readonly requestHash: string | undefined;
  readonly digest: string | undefined;
  readonly description: string | undefined;
}

/** What the engine knows about the request after reading it once. */
export interface RequestFacts extends OfferContext {
  readonly bodyDigest: string | undefined;
  readonly body: Uint8Array | undefined;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** True when challenges may not be sent over this connection (RFC R19). */
export function tlsRequired(opts: ResolvedEngineOptions, req: MppRequest): boolean {
  if (req.protocol === 'https') return false;
  if (opts.requireTls === 'auto') return process.env.NODE_ENV === 'production' && !LOOPBACK.test(req.host);
  return opts.requireTls;
}

/**
 * Reads the body (bounded) and computes the facts every offer and verification share. Synchronous
 * for bodiless requests, so the common GET path takes no extra microtask turn.
 */
export function readFacts(
  opts: ResolvedEngineOptions,
  req: MppRequest,
): RequestFacts | Promise<RequestFacts> {
  if (!req.hasBody) return factsOf(opts, req, undefined);
  return req.body().then((body) => {
    if (body && body.length > opts.maxBodyBytes) {
      throw new MppError('payload-too-large', `Request body exceeds ${opts.maxBodyBytes} bytes`);
    }
    return factsOf(opts, req, body);
  });
}

/** What a realm may not hold (as `options.realm`): it would make the id's HMAC input ambiguous. */
const UNSAFE_REALM = /[|"\\\s\u0000-\u001f\u007f]/;

function factsOf(opts: ResolvedEngineOptions, req: MppRequest, body: Uint8Array | undefined): RequestFacts {
  const bodyDigest = body && body.length > 0 ? contentDigest(body) : undefined;
  const host = req.host || 'localhost';
  const realm = opts.realm ?? host.replace(/:\d+$/, '');
  // A realm taken from the Host header gets the same check as a configured one.
  if (opts.realm === undefined && UNSAFE_REALM.test(realm))
    throw new MppError('bad-request', 'The Host header is not a valid host name');
  return {
    request: req,
    realm,
    requestHash: requestHash({ method: req.method, target: req.target, bodyDigest }),
    origin: `${req.protocol}://${host}`,
    bodyDigest,
    body,
  };
}

/** Encodings of request objects a method returns again and again (static prices), by identity. */
const encoded = new WeakMap<object, string>();

function encodeRequest(requestObject: RequestObject): string {
  let wire = encoded.get(requestObject);
  if (wire === undefined) {
    wire = base64url.encode(canonicalize(requestObject));
    if (Object.isFrozen(requestObject)) encoded.set(requestObject, wire);
  }
  return wire;
}

/**
 * Prices the route for this request: one offer per applicable method. Pure, no side effects.
 * Synchronous when every method prices synchronously (static prices).
 */
export function buildOffers(route: CompiledRoute, facts: RequestFacts): Offer[] | Promise<Offer[]> {
  const priced = route.offers.map(({ route: r }) => r.request(facts));
  if (priced.some((p) => p instanceof Promise)) {
    return Promise.all(priced).then((objects) => assembleOffers(route, facts, objects));
  }
  return assembleOffers(route, facts, priced as RequestObject[]);
}

function assembleOffers(
  route: CompiledRoute,
  facts: RequestFacts,
  objects: readonly RequestObject[],
): Offer[] {
  const offers: Offer[] = [];
  for (let i = 0; i < route.offers.length; i++) {
    const { method, route: methodRoute } = route.offers[i]!;
    const requestObject = objects[i]!;
    const bind = !method.reusableChallenge;
    const description = requestObject.description;
    offers.push({
      method,
      route: methodRoute,
      requestObject,
      request: encodeRequest(requestObject),
      requestHash: bind ? facts.requestHash : undefined,
      digest: bind ? facts.bodyDigest : undefined,
      description: typeof description === 'string' ? description : undefined,
    });
  }
  return offers;
}

// Unique per challenge: a random per-process prefix and a counter. Unpredictability is not needed
// (the HMAC protects the challenge); uniqueness is, so that two identical requests in the same
// second never share a challenge id (and so a charge, or a spent challenge).
const NONCE_PREFIX = base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(9)));
let nonceCounter = 0;

/**
 * `opaque` of a request-bound challenge: JCS of `{"n": nonce, "rh": request-hash}`. Both values are
 * base64url text, so this literal is already canonical.
 */
function requestOpaque(requestHash: string, nonce?: () => string): string {
  let n: string;
  if (nonce) {
    n = nonce();
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(n))
      throw new MppError('internal-payment-error', 'challengeNonce must give 8–64 base64url characters');
  } else {
    nonceCounter = (nonceCounter + 1) % 0x7fffffff;
    n = `${NONCE_PREFIX}${nonceCounter.toString(36)}`;
  }
  return base64url.encode(`{"n":"${n}","rh":"${requestHash}"}`);
}

const OPAQUE_SHAPE = /^\{"n":"[A-Za-z0-9_-]{8,64}","rh":"([A-Za-z0-9_-]{43})"\}$/;

/** The request hash an echoed `opaque` binds, or undefined when it is not one of ours. */
export function boundRequestHash(opaque: string | undefined): string | undefined {
  if (opaque === undefined) return undefined;
  try {
    return OPAQUE_SHAPE.exec(base64url.decodeText(opaque))?.[1];
  } catch {
    return undefined;
  }
}

/** Stamps expiry and the HMAC id on an offer, giving the challenge to send. */
export function issueChallenge(
  opts: ResolvedEngineOptions,
  offer: Offer,
  realm: string,
  now: number,
): Challenge {
  const c: Challenge = {
    id: '',
    realm,
    method: offer.method.name,
    intent: offer.method.intent,
    request: offer.request,
    expires: formatTimestamp(now + opts.expiresInMs),
  };
  if (offer.digest !== undefined) c.digest = offer.digest;
  // The `description` parameter is sent only when it is printable ASCII: a header field carries
  // bytes, not text (Fetch and Node refuse characters above U+00FF, and Latin-1 bytes would be
  // misread as UTF-8). Any other description still reaches the payer, UTF-8 inside `request`.
  if (offer.description !== undefined && /^[\u0020-\u007e]*$/.test(offer.description)) {
    c.description = offer.description;
  }
  if (offer.requestHash !== undefined) c.opaque = requestOpaque(offer.requestHash, opts.challengeNonce);
  if (opts.paymentAuthorizationHeader) c.header = PAYMENT_AUTHORIZATION;
  c.id = computeChallengeId(opts.secrets[0]!, c);
  return c;
}

/** Rebuilds the wire challenge from a verified echo (re-issuing a still-valid challenge). */
export function challengeFromEcho(echo: ChallengeEcho): Challenge {
  const c: Challenge = {
    id: echo.id,
    realm: echo.realm,
    method: echo.method,
    intent: echo.intent,
    request: echo.request,
  };
  for (const k of ['expires', 'digest', 'description', 'opaque', 'header'] as const) {
    const v = echo[k];
    if (typeof v === 'string') c[k] = v;
  }
  return c;
}

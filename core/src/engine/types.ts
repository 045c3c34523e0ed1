import type { JsonValue } from '../protocol/json.js';
import type { Receipt } from '../protocol/receipt.js';

/**
 * The framework-neutral request the engine decides on. Adapters build it from their framework's
 * request; the body is read only when a protected route needs it.
 */
export interface MppRequest {
  /** Upper-case method. */
  readonly method: string;
  /** The request target as received: path and query (`/forecast/94103?units=metric`). */
  readonly target: string;
  /** One header by lower-case name; repeated field lines joined with ", ". */
  header(name: string): string | undefined;
  /** Every field line of a header (to detect a request carrying two credentials). */
  headerLines(name: string): readonly string[];
  /** Fetch-style header access, so price functions read `req.headers.get('x-user-email')`. */
  readonly headers: { get(name: string): string | null };
  /** Raw body bytes, or undefined when there is no body. Called at most once per request. */
  body(): Promise<Uint8Array | undefined>;
  /** True when the request may carry a body (Content-Length > 0 or Transfer-Encoding). */
  readonly hasBody: boolean;
  /** "https" when the connection (or a trusted proxy) says so. */
  readonly protocol: 'http' | 'https';
  /** Host (authority) the request was addressed to, e.g. `api.example.com:8443`. */
  readonly host: string;
  /** Client address, for rate limits and logs. */
  readonly remoteAddress?: string | undefined;
}

/** A one-time price as people write it: major units, ISO 4217 currency. */
export interface Price {
  /** Decimal string in major units, e.g. `'1.00'`. */
  amount: string;
  /** ISO 4217 code, any case (sent lower-case). */
  currency: string;
  /** Shown to the payer; never relied on for verification. */
  description?: string;
  /** Your own reference, echoed into the challenge and the receipt. */
  externalId?: string;
}

/** A price computed per request (dynamic pricing). */
export type PriceFn = (request: MppRequest) => Price | Promise<Price>;

/** Terms of a saved-method route (`hitpay-save`). */
export interface SavedMethodTerms {
  /** The payer's e-mail, or a function reading it from the request. */
  customerEmail?: string | ((request: MppRequest) => string | undefined);
  currency: string;
  /** Cap of a single charge, major units. */
  maxAmountPerCharge: string;
  /** Cap of all charges under one grant, major units. */
  totalAmountCap: string;
  /** What this route charges per call, major units. */
  perCallAmount: string;
  description?: string;
  /** Wallet rails offered for saving, default every rail the currency allows. */
  rails?: string[];
}

/** How a route's payment is settled against the handler's answer. */
export type Settlement =
  /** Consume / keep the payment only when the handler answers 2xx (default). */
  | 'success'
  /** Consume / keep the payment whatever the handler answers. */
  | 'always';

/** Everything a route can say about payment. The shorthand forms are a Price or a PriceFn. */
export interface RouteConfig {
  /** One-time price (`hitpay`, or the deterministic `test` method in conformance runs). */
  price?: Price | PriceFn;
  /** Saved-method terms (`hitpay-save`). */
  savedMethod?: SavedMethodTerms;
  /** HitPay rails offered by a one-time checkout (default per currency, e.g. PayNow for SGD). */
  rails?: readonly string[];
  /** Offer only these method names (default: every configured method that can price the route). */
  methods?: readonly string[];
  /** Default `'success'`: non-2xx answers release one-time charges and refund saved-method ones. */
  settlement?: Settlement;
  /**
   * Lists this route in the discovery document (`GET /openapi.json`, option `discovery`) as this
   * operation, e.g. `'GET /reports/:id'`. For route-level gates (`protect`), whose path the engine
   * cannot see; route-map keys and Fastify routes name their operation already.
   */
  operation?: string;
}

/** What a route may be given as. */
export type RouteInput = Price | PriceFn | RouteConfig;

/** The verified payment handed to the protected handler. */
export interface Payment {
  method: string;
  intent: string;
  challengeId: string;
  /** Minor units. */
  amount: string;
  currency: string;
  /** The method's reference (the HitPay payment id for `hitpay`). */
  reference: string;
  /** The receipt members (also sent, base64url-encoded, as `Payment-Receipt` on 2xx). */
  receipt: Receipt;
  /** The credential payer's `source`, if given. */
  source?: string;
  /** Method-specific details (e.g. the remaining grant cap). */
  details?: Record<string, JsonValue>;
}

/** A header to set on the response: [name, value]. */
export type HeaderEntry = readonly [name: string, value: string];

/** The engine's answer: respond now (402, 400, …), let the request through paid, or not ours. */
export type Decision = RespondDecision | PassDecision | NextDecision;

/** Not a protected route (and not a broker route): the adapter calls the next handler untouched. */
export interface NextDecision {
  readonly kind: 'next';
}

/** Respond with exactly this status, headers and body; the protected handler does not run. */
export interface RespondDecision {
  readonly kind: 'respond';
  readonly status: number;
  readonly headers: readonly HeaderEntry[];
  readonly body: string | Uint8Array;
}

/** Paid: run the handler, then call `finalize` with its status before headers go out. */
export interface PassDecision {
  readonly kind: 'pass';
  readonly payment: Payment;
  /**
   * Call once, when the handler's status is known and before headers are sent. Returns the headers
   * to set (the receipt and `Cache-Control: private` on 2xx; nothing payment-related otherwise) and
   * settles the payment in the background: commit on success, release or refund otherwise.
   * `current` reads the response's headers so far: the handler's Cache-Control and CORS
   * expose list are extended, never replaced.
   */
  finalize(status: number, current?: (name: string) => string | undefined): HeaderEntry[];
  /** Resolves when settlement has finished (tests and graceful shutdown await it). */
  readonly settled: Promise<void>;
  /**
   * Present only when the response must be kept for Idempotency-Key replays (an unsafe method
   * with an `Idempotency-Key`): the adapter's response layer reports the response it sent.
   * Absent on every other paid request, which then pays nothing for the feature.
   */
  readonly record?: ResponseRecorder;
}

/**
 * Receives a paid response for replay: call `complete` once the handler has produced the whole
 * response, or `fail` when it cannot be kept. Calls after the first are ignored.
 */
export interface ResponseRecorder {
  /** Largest body kept (bytes): stop buffering past it and call `fail('too-large')`. */
  readonly maxBodyBytes: number;
  /** The whole response: final status, headers as sent, and body bytes. */
  complete(status: number, headers: readonly HeaderEntry[], body: Uint8Array): void;
  /** The body outgrew `maxBodyBytes`, or the response never went out whole. */
  fail(reason: 'too-large' | 'aborted'): void;
}

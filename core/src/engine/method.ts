import type { Challenge } from '../protocol/challenge.js';
import type { ChallengeEcho, Credential } from '../protocol/credential.js';
import type { JsonValue } from '../protocol/json.js';
import type { Receipt } from '../protocol/receipt.js';
import type { Store } from './store.js';
import type { MppRequest, RouteConfig, Settlement } from './types.js';

/** The challenge `request` object (charge intent: amount, currency, description?, methodDetails?). */
export type RequestObject = Record<string, JsonValue>;

/** What a method knows when it prices a route for one request. */
export interface OfferContext {
  readonly request: MppRequest;
  readonly realm: string;
  /** The canonical request hash (docs/spec/request-hash.md). */
  readonly requestHash: string;
  /** `https://host` the request was addressed to (for absolute URLs in methodDetails). */
  readonly origin: string;
}

/** What a method knows when it verifies a credential. */
export interface VerifyContext extends OfferContext {
  readonly credential: Credential;
  readonly challenge: ChallengeEcho;
  /** The route's current offer request, decoded (the echo has been pinned to it byte for byte). */
  readonly requestObject: RequestObject;
  /** Epoch ms at which the challenge expires. */
  readonly expiresAt: number;
  readonly settlement: Settlement;
  /** Engine clock, epoch ms. */
  readonly now: number;
  /** The engine's replay store, for methods that keep single-use state in it. */
  readonly store: Store;
}

/** A verified, reserved payment. Exactly one of `commit` / `release` is called, once. */
export interface Verification {
  /** Minor units actually paid. */
  readonly amount: string;
  readonly currency: string;
  /** Method reference (HitPay payment id, charge id, …). */
  readonly reference: string;
  /** Receipt members beyond the engine's (`status`, `method`, `timestamp`, `reference`, `challengeId`). */
  readonly receipt?: Receipt;
  /** Extra fields exposed to the handler as `payment.details`. */
  readonly details?: Record<string, JsonValue>;
  /** The handler succeeded: make the payment final (consume the charge). */
  commit(): Promise<void>;
  /** The handler failed: undo (release a one-time charge, refund a saved-method charge). */
  release(): Promise<void>;
  /** What `release` does, for events and logs (default `'released'`). */
  readonly undo?: 'released' | 'refunded';
}

/**
 * A route's offer as the discovery document publishes it (`x-payment-info`), known at start-up.
 * Advisory: the 402 challenge stays authoritative.
 */
export interface OfferSummary {
  /** Minor units (`"100"`), or null when the price is computed per request. */
  readonly amount: string | null;
  /** Lower-case ISO 4217 code, when known at start-up. */
  readonly currency?: string;
  /** A human-readable pricing note. */
  readonly description?: string;
}

/** A method's compiled view of one route (built once at start-up). */
export interface MethodRoute {
  /**
   * What discovery publishes for this offer. Omitted, the offer is published as dynamically
   * priced (`amount: null`).
   */
  readonly summary?: OfferSummary;
  /** Builds the challenge request for this request. Pure: no I/O, no side effects. */
  request(ctx: OfferContext): RequestObject | Promise<RequestObject>;
  /**
   * Verifies the credential's payload and reserves the payment (single use). Throws MppError:
   * `invalid-payload`, `verification-failed`, `payment-insufficient`, `payment-action-required`
   * (with retryAfter), `internal-payment-error` or `service-unavailable`.
   */
  verify(ctx: VerifyContext): Promise<Verification>;
  /**
   * Extra members describing an issued challenge in the 402 body (checkout and polling URLs,
   * display amount), for agents that read bodies. Must not contain secrets.
   */
  describe?(challenge: Challenge, requestObject: RequestObject, ctx: OfferContext): Record<string, JsonValue>;
  /**
   * An HTML page for people who open the route in a browser (`Accept: text/html`), sent as the
   * 402 body in place of the problem document; the challenge headers stay the same.
   */
  paywall?(challenge: Challenge, requestObject: RequestObject, ctx: OfferContext): string;
}

/**
 * A payment method plugin. Third parties add methods without touching the engine; the conformance
 * suite uses the deterministic `test` method.
 */
export interface PaymentMethod {
  /** `1*LOWERALPHA`, e.g. `hitpay`. */
  readonly name: string;
  /** Registered intent, e.g. `charge`. */
  readonly intent: string;
  /**
   * When true, one challenge may pay several requests (the payload binds each request instead),
   * so the engine binds neither the request hash nor the body digest into the challenge.
   */
  readonly reusableChallenge?: boolean;
  /**
   * Validates the route at start-up (throw MppConfigError) and returns the method's compiled route,
   * or undefined when this method does not price this kind of route.
   */
  compile(route: RouteConfig): MethodRoute | undefined;
}

/**
 * HitPay MPP: charge HTTP requests through HitPay with the IETF "Payment" authentication scheme.
 *
 * @module
 */
// --- For applications ---------------------------------------------------------------------------

// --- For adapter and payment-method authors (not needed by applications) ------------------------
export {
  type MppGates,
  type MppMiddlewareOptions,
  type MppSource,
  mppOf,
  routeGates,
} from './adapters.js';
export { requestHash } from './binding/request-hash.js';
export {
  buildOpenApiDocument,
  type DiscoveryOperation,
  type PaymentOffer,
  paymentInfo,
  toOpenApiPath,
} from './discovery/openapi.js';
export type { DiscoveryOptions, ResolvedDiscovery } from './discovery/options.js';
export { type MountedHandler, MppEngine } from './engine/engine.js';
export type { EventBase, Listener, MppEventName, MppEvents } from './engine/events.js';
export { fromWebResponse, mountFetch, readStreamBounded, toWebRequest } from './engine/fetch-bridge.js';
export {
  IDEMPOTENT_REPLAYED,
  type IdempotencyOptions,
  idempotencyKeyOf,
} from './engine/idempotency.js';
export type { Logger } from './engine/logger.js';
export type {
  MethodRoute,
  OfferContext,
  OfferSummary,
  PaymentMethod,
  RequestObject,
  Verification,
  VerifyContext,
} from './engine/method.js';
export {
  currencyExponent,
  displayAmount,
  priceSummary,
  toMajorUnits,
  toMinorUnits,
} from './engine/money.js';
export {
  deriveSecret,
  type EngineOptions,
  type ResolvedEngineOptions,
  resolveEngineOptions,
} from './engine/options.js';
export type { RateLimitOptions } from './engine/rate-limit.js';
export {
  type CompiledRoute,
  compileRoute,
  type RouteOperation,
  RouteTable,
  toRouteConfig,
} from './engine/route.js';
export { MemoryStore, type MemoryStoreOptions, type Store, type WindowCount } from './engine/store.js';
export type {
  Decision,
  HeaderEntry,
  MppRequest,
  NextDecision,
  PassDecision,
  Payment,
  Price,
  PriceFn,
  RespondDecision,
  ResponseRecorder,
  RouteConfig,
  RouteInput,
  SavedMethodTerms,
  Settlement,
} from './engine/types.js';
export {
  createMpp,
  type FetchHandler,
  fromFetchRequest,
  type Mpp,
  type MppOptions,
  type PaidContext,
  type RouteContext,
  toFetchResponse,
} from './fetch.js';
export type {
  Broker,
  MerchantRegistration,
  RedeemChargeInput,
  RedeemedCharge,
  SavedCharge,
  SavedChargeInput,
} from './methods/broker-api.js';
export { checkoutUrl, type HitPayMethodContext, hitpayMethod } from './methods/hitpay.js';
export { hitpaySaveMethod } from './methods/hitpay-save.js';
export { DEFAULT_ONE_TIME_RAILS, merchantIdFor, SAVED_METHOD_RAILS } from './methods/merchant.js';
export { type RemoteBrokerOptions, remoteBroker } from './methods/remote-broker.js';
export type { HitPayOptions } from './methods/setup.js';
export { hitpayEngine } from './methods/setup.js';
export { MppConfigError, MppError, type MppErrorCode, type ProblemDetails } from './protocol/errors.js';

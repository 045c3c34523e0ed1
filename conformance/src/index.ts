/**
 * The conformance suite every HitPay MPP adapter passes: HTTP scenario vectors (JSON, in
 * `vectors/`) and a vitest runner that drives each adapter's standard fixture app with them.
 *
 * @module
 */
export {
  CONFORMANCE_EPOCH,
  CONFORMANCE_REALM,
  CONFORMANCE_SECRET,
  type FixtureContext,
} from './context.js';
export { expectReadmeSnippet } from './readme.js';
export {
  API_KEY,
  API_KEY_HEADER,
  APP_REFUSALS,
  type AppRefusal,
  FAILING_HANDLERS,
  FLAKY_FAILURES,
  FREE_ROUTES,
  isAuthenticated,
  PROTECTED_ROUTES,
  type ProtectedRoute,
  RESOURCE_MARKER,
  ROUTE_KEYS,
  type RouteKey,
} from './routes.js';
export {
  type AppHandle,
  type ConformanceFixture,
  type ConformanceOptions,
  defineConformanceSuite,
} from './suite.js';
export {
  CAPABILITIES,
  type Capability,
  type ChallengeRule,
  type CredentialSpec,
  type Expectation,
  type HeaderRule,
  type LoadedScenario,
  loadScenarios,
  type RequestSpec,
  type Scenario,
  type ScenarioConfig,
  type Step,
} from './vectors.js';

/**
 * Test support: the deterministic `test` payment method used by the conformance suite. Not for
 * production — its proofs are strings anyone can write.
 *
 * @module
 */
export { type TestMethodOptions, type TestMethodStats, testMethod } from './test-method.js';

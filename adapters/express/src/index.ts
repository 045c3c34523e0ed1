/**
 * Express middleware for HitPay MPP: HTTP 402 machine payments settled through HitPay.
 *
 * @module
 */
export { type MppExpressMiddleware, type MppExpressOptions, mppExpress } from './mpp-express.js';

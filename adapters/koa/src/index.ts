/**
 * Koa middleware for HitPay MPP: HTTP 402 machine payments settled through HitPay.
 *
 * @module
 */
export { type MppKoaMiddleware, type MppKoaOptions, mppKoa } from './mpp-koa.js';

/**
 * Fastify plugin for HitPay MPP: HTTP 402 machine payments settled through HitPay.
 *
 * @module
 */
export { default, type MppPluginOptions, mppPlugin } from './mpp-plugin.js';

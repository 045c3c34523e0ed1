/**
 * NestJS module, guard and decorators for HitPay MPP: HTTP 402 machine payments settled through
 * HitPay, on platform-express and platform-fastify.
 *
 * @module
 */
export { MppPayment, MppProtected, MppProtectedSavedMethod } from './mpp.decorators.js';
export { MPP, MppExceptionFilter, MppGuard, MppResponseException } from './mpp.guard.js';
export { MppModule, type MppModuleAsyncOptions, type MppModuleOptions } from './mpp.module.js';

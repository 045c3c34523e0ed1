/**
 * NestJS module, guard and decorators for HitPay MPP: HTTP 402 machine payments settled through
 * HitPay, on platform-express and platform-fastify.
 *
 * @module
 */
export { MPP } from './mpp.constants.js';
export { MppPayment, MppProtected, MppProtectedSavedMethod } from './mpp.decorators.js';
export { MppExceptionFilter, MppResponseException } from './mpp.exception.js';
export { MppGuard } from './mpp.guard.js';
export { MppMountMiddleware } from './mpp.middleware.js';
export { MppModule, type MppModuleAsyncOptions, type MppModuleOptions } from './mpp.module.js';

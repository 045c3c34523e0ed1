import type { PassDecision, RouteInput } from '@hit-pay/mpp';
import { Reflector } from '@nestjs/core';

/** Injection token of the `Mpp` that `MppModule` provides (global): `@Inject(MPP) mpp: Mpp`. */
export const MPP = Symbol('MPP');

/** The route metadata `@MppProtected(price)` writes: the price or route config. */
export const MppPrice = Reflector.createDecorator<RouteInput>();

/**
 * The payment each paid request was let through with, keyed by the platform request object (guard
 * → `@MppPayment()`). A WeakMap adds no property to Express or Fastify requests.
 */
export const paidRequests = new WeakMap<object, PassDecision>();

import type { Payment, RouteInput, SavedMethodTerms } from '@hit-pay/mpp';
import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { MppExceptionFilter, MppGuard, MppPrice, paidRequests } from './mpp.guard.js';

/**
 * Charges a route (or every route of a controller) before its handler runs: a one-time price or
 * any route config. Prices are compiled when the application initializes; a bad one fails there.
 *
 * @example
 * \@Get('forecast/:zip')
 * \@MppProtected({ amount: '1.00', currency: 'SGD' })
 * forecast(@Param('zip') zip: string, @MppPayment() payment: Payment) { … }
 */
export function MppProtected(price: RouteInput): ClassDecorator & MethodDecorator {
  return applyDecorators(MppPrice(price), UseGuards(MppGuard), UseFilters(MppExceptionFilter));
}

/** Charges a route against a saved payment method (`hitpay-save`). */
export function MppProtectedSavedMethod(terms: SavedMethodTerms): ClassDecorator & MethodDecorator {
  return MppProtected({ savedMethod: terms });
}

/** Injects the verified `Payment` of a `@MppProtected` route (undefined elsewhere). */
export const MppPayment = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Payment | undefined =>
    paidRequests.get(context.switchToHttp().getRequest<object>())?.payment,
);

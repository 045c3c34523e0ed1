import type { ServerResponse } from 'node:http';
import { type Mpp, MppConfigError } from '@hit-pay/mpp';
import { settleNodeResponse } from '@hit-pay/mpp/node';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MPP, MppPrice, paidRequests } from './mpp.constants.js';
import { MppResponseException } from './mpp.exception.js';
import { toMppRequest } from './mpp.request.js';

const PKG = '@hit-pay/mpp-nest';

/**
 * Decides `@MppProtected` routes: throws `MppResponseException` with the engine's answer (402 …),
 * or lets the request through paid. Method metadata overrides class metadata.
 */
@Injectable()
export class MppGuard implements CanActivate {
  constructor(
    @Inject(MPP) private readonly mpp: Mpp,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const handler = context.getHandler();
    const controller = context.getClass();
    const price = this.reflector.getAllAndOverride(MppPrice, [handler, controller]);
    if (price === undefined) return true;
    // Fail closed: a priced handler reached over another transport (RPC, WebSocket) is not served.
    if (context.getType() !== 'http')
      throw new MppConfigError(
        PKG,
        '@MppProtected',
        `guards HTTP routes only (${controller.name}.${handler.name})`,
      );
    const http = context.switchToHttp();
    const request = http.getRequest<object>();
    const engine = this.mpp.engine;
    const route = engine.routeOf(price, `${controller.name}.${handler.name}`);
    const decision = await engine.decide(toMppRequest(request, engine), route);
    if (decision.kind === 'respond') throw MppResponseException.of(decision);
    if (decision.kind === 'pass') {
      paidRequests.set(request, decision);
      // Armed here, not in an interceptor: whatever answers from now on — a later guard's 403, a
      // pipe's 400, the handler through any response style, an exception filter — goes through
      // writeHead on both platforms, where the receipt is added or the payment released.
      const response = http.getResponse<{ raw?: ServerResponse } & ServerResponse>();
      settleNodeResponse(response.raw ?? response, decision);
    }
    return true;
  }
}

import type { ServerResponse } from 'node:http';
import type { Mpp } from '@hit-pay/mpp';
import { writeNodeResponse } from '@hit-pay/mpp/node';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { MPP } from './mpp.constants.js';
import { toMppRequest } from './mpp.request.js';

/**
 * Serves the engine's mounted routes (the embedded broker: webhook, checkout, JWKS) under its
 * prefix. Nest middleware gets Node's request and response on Express and on Fastify alike.
 */
@Injectable()
export class MppMountMiddleware implements NestMiddleware {
  constructor(@Inject(MPP) private readonly mpp: Mpp) {}

  async use(request: object, response: ServerResponse, next: (error?: unknown) => void): Promise<void> {
    try {
      const engine = this.mpp.engine;
      const req = toMppRequest(request, engine);
      // Only mounted routes: a route-map decision here would have no handler to settle against.
      const decision = engine.isMounted(req.target) ? await engine.handle(req) : undefined;
      if (decision?.kind === 'respond') writeNodeResponse(response, decision);
      else next();
    } catch (error) {
      next(error);
    }
  }
}

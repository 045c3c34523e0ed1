import { type IncomingMessage, ServerResponse } from 'node:http';
import {
  type Mpp,
  MppConfigError,
  type PassDecision,
  type RespondDecision,
  type RouteInput,
} from '@hit-pay/mpp';
import { fromNodeRequest, groupHeaders, settleNodeResponse, writeNodeResponse } from '@hit-pay/mpp/node';
import {
  type ArgumentsHost,
  type CanActivate,
  Catch,
  type ExceptionFilter,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';

export const PKG = '@hit-pay/mpp-nest';

/** Injection token of the `Mpp` that `MppModule` provides (global): `@Inject(MPP) mpp: Mpp`. */
export const MPP = Symbol('MPP');

/** The route metadata `@MppProtected(price)` writes: the price or route config. */
export const MppPrice = Reflector.createDecorator<RouteInput>();

/**
 * The payment each paid request was let through with, keyed by the platform request object (guard
 * → `@MppPayment()`). A WeakMap adds no property to Express or Fastify requests.
 */
export const paidRequests = new WeakMap<object, PassDecision>();

/** A Nest request or response: Node's own on Express, a wrapper holding it as `raw` on Fastify. */
type Platform<T> = T & { raw?: T; rawBody?: unknown };

/**
 * Thrown by `MppGuard` when the engine answers instead of the handler (402 challenge, 400, 503…),
 * for `MppExceptionFilter` to write. Not an Error: it is an answer, not a fault, so it carries no
 * stack (capturing Nest's deep stack on every 402 measured as a large share of the 402's cost).
 */
export class MppResponseException {
  constructor(readonly decision: RespondDecision) {}
}

/**
 * Writes an `MppResponseException` verbatim — status, every `WWW-Authenticate` line, the problem
 * body — the same on Express and Fastify.
 */
@Catch(MppResponseException)
export class MppExceptionFilter implements ExceptionFilter<MppResponseException> {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch({ decision }: MppResponseException, context: ArgumentsHost): void {
    const response: unknown = context.switchToHttp().getResponse();
    // Express's response is Node's: written directly, as the Express adapter does (no ETag pass).
    if (response instanceof ServerResponse) writeNodeResponse(response, decision);
    else this.reply(response, decision);
  }

  /** Through the platform adapter: Fastify's reply holds headers set through it (CORS…) until it sends. */
  private reply(response: unknown, { headers, body, status }: RespondDecision): void {
    const adapter = this.host.httpAdapter;
    // A list (one WWW-Authenticate line per challenge) stays a list of field lines: Fastify's
    // `reply.header` takes one, though Nest types the value a string.
    for (const [name, value] of groupHeaders(headers, (n) => adapter.getHeader(response, n)))
      adapter.setHeader(response, name, value as string);
    adapter.reply(response, typeof body === 'string' ? body : Buffer.from(body), status);
  }
}

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
    const [handler, controller] = [context.getHandler(), context.getClass()];
    const price = this.reflector.getAllAndOverride(MppPrice, [handler, controller]);
    if (price === undefined) return true;
    const label = `${controller.name}.${handler.name}`;
    // Fail closed: a priced handler reached over another transport (RPC, WebSocket) is not served.
    if (context.getType() !== 'http')
      throw new MppConfigError(PKG, '@MppProtected', `guards HTTP routes only (${label})`);
    const http = context.switchToHttp();
    const request = http.getRequest<Platform<IncomingMessage>>();
    const engine = this.mpp.engine;
    // With `rawBody: true` Nest keeps the body bytes on its own request object (the wrapper on Fastify).
    const req = fromNodeRequest(request.raw ?? request, engine.options, undefined, request.rawBody);
    const decision = await engine.decide(req, engine.routeOf(price, label));
    if (decision.kind === 'respond') throw new MppResponseException(decision);
    if (decision.kind === 'pass') {
      paidRequests.set(request, decision);
      // Armed here, not in an interceptor: whatever answers from now on — a later guard's 403, a
      // pipe's 400, the handler through any response style, an exception filter — goes through
      // writeHead on both platforms, where the receipt is added or the payment released.
      const response = http.getResponse<Platform<ServerResponse>>();
      settleNodeResponse(response.raw ?? response, decision);
    }
    return true;
  }
}

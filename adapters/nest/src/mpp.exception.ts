import type { RespondDecision } from '@hit-pay/mpp';
import { groupHeaders } from '@hit-pay/mpp/node';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  Injectable,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Thrown by `MppGuard` when the engine answers instead of the handler (402 challenge, 400, 503…).
 * It carries the complete answer; `MppExceptionFilter` writes it exactly.
 */
export class MppResponseException extends HttpException {
  constructor(readonly decision: RespondDecision) {
    super(typeof decision.body === 'string' ? decision.body : 'Payment required', decision.status);
  }

  /**
   * The exception for a decision, built without a stack trace: it is an answer, not a fault, and
   * capturing Nest's deep stack on every 402 measured as a large share of the 402's cost.
   */
  static of(decision: RespondDecision): MppResponseException {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new MppResponseException(decision);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/**
 * Writes an `MppResponseException` verbatim — status, every `WWW-Authenticate` line, the problem
 * body — through the platform adapter, so it is the same on Express and Fastify.
 */
@Catch(MppResponseException)
@Injectable()
export class MppExceptionFilter implements ExceptionFilter<MppResponseException> {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: MppResponseException, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    const { status, headers, body } = exception.decision;
    const current = (name: string): unknown =>
      (response as { getHeader?: (n: string) => unknown }).getHeader?.(name);
    for (const [name, value] of groupHeaders(headers, current)) {
      // One field line per challenge: set the first, append the rest (same on both platforms).
      const [first, ...more] = typeof value === 'string' ? [value] : value;
      adapter.setHeader(response, name, first!);
      for (const line of more) adapter.appendHeader(response, name, line);
    }
    // Bytes (an Idempotency-Key replay) as a StreamableFile: Nest's Express adapter JSON-encodes a Buffer.
    adapter.reply(response, typeof body === 'string' ? body : new StreamableFile(Buffer.from(body)), status);
  }
}

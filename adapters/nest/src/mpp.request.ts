import type { IncomingMessage } from 'node:http';
import type { MppEngine, MppRequest } from '@hit-pay/mpp';
import { fromNodeRequest } from '@hit-pay/mpp/node';

/**
 * The engine's request for a Nest request on either platform: Express hands Nest the
 * `IncomingMessage` itself, Fastify a wrapper whose `raw` is it. With `rawBody: true` Nest keeps the
 * body bytes on its own request object — the IncomingMessage on Express (core finds them there), the
 * wrapper on Fastify (handed over here).
 */
export function toMppRequest(request: object, engine: MppEngine): MppRequest {
  const raw = (request as { raw?: IncomingMessage }).raw ?? (request as IncomingMessage);
  const req = fromNodeRequest(raw, engine.options);
  const rawBody = (request as { rawBody?: unknown }).rawBody;
  return rawBody instanceof Uint8Array ? { ...req, body: async () => rawBody } : req;
}

import type { IncomingMessage } from 'node:http';
import type { MppRequest } from '../engine/types.js';
import { readNodeBody } from './body.js';

export interface NodeRequestOptions {
  /** Trust X-Forwarded-Proto / -Host / -For. */
  trustProxy?: boolean;
  /** Largest body read for the digest (bytes). */
  maxBodyBytes?: number;
  /** The request target if the framework rewrote `req.url` (Express sub-apps: `req.originalUrl`). */
  target?: string;
}

function firstForwarded(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0]?.trim() || undefined;
}

/**
 * The client address a trusted proxy appended: the LAST `X-Forwarded-For` entry. Earlier entries
 * are whatever the client sent, so taking the first would let a client pick its own rate-limit key.
 */
function lastForwarded(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value.join(',') : value;
  return v?.split(',').pop()?.trim() || undefined;
}

/**
 * Wraps a Node `IncomingMessage` as the engine's framework-neutral request. Cheap: nothing is read
 * eagerly. Adapters pass their engine's options (`engine.options`); when the framework rewrote
 * `req.url`, the target as received; and when its body parser kept the raw body on an object of
 * its own (Koa's `ctx.request.rawBody`, Nest on Fastify's `request.rawBody`), those bytes or text.
 */
export function fromNodeRequest(
  req: IncomingMessage,
  options: NodeRequestOptions = {},
  target = options.target,
  rawBody?: unknown,
): MppRequest {
  const h = req.headers;
  const trust = options.trustProxy === true;
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
  const forwardedProto = trust ? firstForwarded(h['x-forwarded-proto']) : undefined;
  const contentLength = h['content-length'];
  const header = (name: string): string | undefined => {
    const v = h[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    headers: { get: (name) => header(name) ?? null },
    target: target ?? (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
    header,
    headerLines(name) {
      // Node keeps only the first of repeated Authorization lines in req.headers; rawHeaders has all.
      const out: string[] = [];
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2)
        if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
      return out;
    },
    hasBody: (contentLength !== undefined && contentLength !== '0') || h['transfer-encoding'] !== undefined,
    body: () => readNodeBody(req, options.maxBodyBytes ?? 1024 * 1024, rawBody),
    protocol: forwardedProto === 'https' || (!forwardedProto && encrypted) ? 'https' : 'http',
    host: (trust ? firstForwarded(h['x-forwarded-host']) : undefined) ?? h.host ?? '',
    remoteAddress: (trust ? lastForwarded(h['x-forwarded-for']) : undefined) ?? req.socket?.remoteAddress,
  };
}

import type { MountedHandler } from './engine.js';
import type { HeaderEntry, MppRequest, RespondDecision } from './types.js';

/**
 * Bridges the engine's request to a Fetch `Request` and back, for the routes it mounts (the
 * embedded broker speaks Fetch). Only mounted routes pay this cost; the gate never does.
 */
export async function toWebRequest(req: MppRequest): Promise<Request> {
  const headers = new Headers();
  for (const name of [
    'accept',
    'content-type',
    'authorization',
    'x-api-key',
    'hitpay-signature',
    'hitpay-event-type',
    'hitpay-event-object',
    'user-agent',
    'x-forwarded-for',
    'idempotency-key',
    'x-setup-token',
    'origin',
  ]) {
    const v = req.header(name);
    if (v !== undefined) headers.set(name, v);
  }
  const body = req.hasBody && req.method !== 'GET' && req.method !== 'HEAD' ? await req.body() : undefined;
  if (req.remoteAddress) headers.set('x-mpp-remote-address', req.remoteAddress);
  return new Request(mountedUrl(req), {
    method: req.method,
    headers,
    // Request bodies are typed ArrayBuffer-backed; ours always are (never a SharedArrayBuffer view).
    body: body && body.length > 0 ? (body as Uint8Array<ArrayBuffer>) : undefined,
  });
}

/**
 * The URL of a mounted request. A Host header no URL can hold (`a b`, latin1) is the client's
 * mistake, never our 500: the mounted routes read only the path and query, so `localhost` stands in.
 */
function mountedUrl(req: MppRequest): string {
  try {
    return new URL(`${req.protocol}://${req.host || 'localhost'}${req.target}`).href;
  } catch {
    return `${req.protocol}://localhost${req.target}`;
  }
}

/** Reads a Fetch `Response` into a `respond` decision. */
export async function fromWebResponse(res: Response): Promise<RespondDecision> {
  const headers: HeaderEntry[] = [];
  res.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  return { kind: 'respond', status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

/** Adapts a Fetch handler (the broker's) to a handler the engine can mount under its prefix. */
export function mountFetch(handler: (request: Request) => Promise<Response>): MountedHandler {
  return async (req) => fromWebResponse(await handler(await toWebRequest(req)));
}

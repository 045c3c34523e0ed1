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

/** A Host header that is a plain authority (name or IP literal, optional port). */
const PLAIN_HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The URL of a mounted request. A Host header that is not a plain authority (`a b`, `u@h`, `h/p?`)
 * must neither fail the request (a 500) nor move its path: the mounted routes read only the path
 * and query, so `localhost` stands in for it.
 */
function mountedUrl(req: MppRequest): string {
  const host = req.host && PLAIN_HOST.test(req.host) ? req.host : 'localhost';
  return `${req.protocol}://${host}${req.target}`;
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

/**
 * Reads a web stream to its end, at most `limit` bytes: undefined when it holds more (the stream
 * is then cancelled, read no further), so a body of any size never sits whole in memory.
 */
export async function readStreamBounded(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: a tee branch's cancel settles only once the other branch is cancelled too.
      reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

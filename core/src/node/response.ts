import type { ServerResponse } from 'node:http';
import { replayableHeaders } from '../engine/idempotency.js';
import type { HeaderEntry, PassDecision, RespondDecision } from '../engine/types.js';
import { recordNodeResponse } from './record.js';

/** List-valued headers the app may already have set; ours are merged into them, not put instead. */
const MERGED = new Set(['access-control-expose-headers', 'vary']);

/**
 * Groups header entries by name so repeated ones (several WWW-Authenticate lines) stay separate
 * lines. With `current` (the response's headers so far), list-valued headers the app set already
 * (CORS expose list, Vary) are extended rather than replaced.
 */
export function groupHeaders(
  entries: readonly HeaderEntry[],
  current?: (name: string) => unknown,
): Map<string, string | string[]> {
  const out = new Map<string, string | string[]>();
  for (const [name, value] of entries) {
    const prev = out.get(name);
    if (prev === undefined) out.set(name, value);
    else out.set(name, Array.isArray(prev) ? [...prev, value] : [prev, value]);
  }
  if (current) {
    for (const name of MERGED) {
      const ours = out.get(name);
      const existing = headerText(current(name));
      if (typeof ours !== 'string' || existing === undefined) continue;
      const have = new Set(existing.split(',').map((h) => h.trim().toLowerCase()));
      const add = ours
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h && !have.has(h.toLowerCase()));
      out.set(
        name,
        existing.trim() === '*' || add.length === 0 ? existing : `${existing}, ${add.join(', ')}`,
      );
    }
  }
  return out;
}

/** Writes a `respond` decision to a Node response verbatim. */
export function writeNodeResponse(res: ServerResponse, decision: RespondDecision): void {
  res.statusCode = decision.status;
  for (const [name, value] of groupHeaders(decision.headers, (n) => res.getHeader(n)))
    res.setHeader(name, value);
  const body = decision.body;
  // A string body is written with the headers in one socket write; a Buffer would take a second.
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  res.end(body);
}

type WriteHead = ServerResponse['writeHead'];

/**
 * Settles a paid request when its status is known: wraps `res.writeHead` once (every way of
 * answering — json, send, end, pipe, redirect — goes through it), adds the receipt on 2xx and
 * releases or refunds otherwise. A response that closes without headers (client gone, handler
 * hung) releases the payment. A decision that asks for it (`pass.record`: Idempotency-Key) also
 * gets the response's headers and body.
 */
export function settleNodeResponse(res: ServerResponse, pass: PassDecision): void {
  const head = pass.record && recordNodeResponse(res, pass.record);
  const original: WriteHead = res.writeHead;
  res.writeHead = function writeHeadWithPayment(
    this: ServerResponse,
    statusCode: number,
    ...rest: unknown[]
  ) {
    res.writeHead = original;
    // Headers given to writeHead itself override setHeader ones; fold them in so ours merge correctly.
    const last = rest[rest.length - 1];
    if (last && typeof last === 'object') {
      rest.pop();
      if (Array.isArray(last)) {
        const flat = Array.isArray(last[0]) ? (last as [string, string][]).flat() : (last as string[]);
        for (let i = 0; i + 1 < flat.length; i += 2) res.setHeader(flat[i]!, flat[i + 1]!);
      } else for (const [k, v] of Object.entries(last)) if (v !== undefined) res.setHeader(k, v as string);
    }
    const current = (name: string): string | undefined => headerText(res.getHeader(name));
    for (const [name, value] of pass.finalize(statusCode, current)) res.setHeader(name, value);
    // Final now (a compression layer inside this one has set its Content-Encoding already).
    if (head) head.headers = replayableHeaders(Object.entries(res.getHeaders()));
    return (original as (...a: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as WriteHead;
  res.once('close', () => {
    if (!res.headersSent) pass.finalize(499);
  });
}

/**
 * A header value as one string, or undefined when absent: frameworks answer `getHeader` with a
 * number, a string, a list of lines, or `''` (Koa) for a header that is not set.
 */
export function headerText(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

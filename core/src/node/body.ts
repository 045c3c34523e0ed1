import type { IncomingMessage } from 'node:http';
import { MppError } from '../protocol/errors.js';

/**
 * Reads the raw request body for the digest binding WITHOUT taking it away from the app: the bytes
 * are pushed back onto the stream (`unshift`) before its 'end' event, so body parsers registered
 * after the payment middleware read the same bytes. A body an app already captured (`req.rawBody`
 * from Nest's `rawBody: true` or a parser `verify` hook, or a Buffer `req.body` from `express.raw`)
 * is used as is, as is one a framework kept elsewhere (`captured`: bytes, or UTF-8 text).
 */
export function readNodeBody(
  req: IncomingMessage,
  limit: number,
  captured: unknown = (req as { rawBody?: unknown }).rawBody,
): Promise<Uint8Array> {
  if (captured instanceof Uint8Array) return Promise.resolve(captured);
  if (typeof captured === 'string') return Promise.resolve(new TextEncoder().encode(captured));
  const parsed = (req as { body?: unknown }).body;
  if (parsed instanceof Uint8Array) return Promise.resolve(parsed);
  if (req.readableEnded || (req as { _body?: boolean })._body === true) {
    return Promise.reject(
      new MppError(
        'internal-payment-error',
        'The request body was consumed before the payment middleware could hash it: register the payment middleware before body parsers, or keep the raw body (Nest: rawBody: true)',
      ),
    );
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: MppError): void => {
      req.off('readable', onReadable);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) {
        reject(error);
        return;
      }
      const body = Buffer.concat(chunks, size);
      // Same tick as the final read(): 'end' is not emitted yet, so the bytes go back in front.
      if (body.length > 0) req.unshift(body);
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      // biome-ignore lint/suspicious/noAssignInExpressions: the stream idiom reads until null.
      while ((chunk = req.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit) {
          finish(new MppError('payload-too-large', `Request body exceeds ${limit} bytes`));
          return;
        }
      }
      // IncomingMessage says `complete`; other Readables (test doubles, proxies) only have the
      // stream state, which is set when the end of the data has been pushed.
      const ended =
        req.complete ||
        (req as unknown as { _readableState?: { ended?: boolean } })._readableState?.ended === true;
      if (ended) finish();
    };
    const onError = (error: Error): void =>
      finish(new MppError('bad-request', `Request body could not be read: ${error.message}`));
    const onClose = (): void => {
      if (!req.complete && !req.readableEnded)
        finish(new MppError('bad-request', 'Request was aborted while its body was read'));
    };
    req.on('readable', onReadable);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

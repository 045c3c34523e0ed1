import type { ServerResponse } from 'node:http';
import { replayableHeaders } from '../engine/idempotency.js';
import type { HeaderEntry, ResponseRecorder } from '../engine/types.js';

/** The headers snapshot `settleNodeResponse` takes at writeHead, for a recorder. */
export interface HeadSnapshot {
  headers?: HeaderEntry[];
}

/**
 * Copies what a paid Node response sends into `recorder` (Idempotency-Key replays), by wrapping
 * `res.write` and `res.end` on this one response; installed only when the decision asks for it.
 * The body is complete when `end` is called; a response closed before that (the handler died
 * mid-stream, the client left first) is reported as `aborted` once headers went out (before that,
 * `settleNodeResponse` settles it as not sent). Returns the snapshot `settleNodeResponse` fills
 * at writeHead, when the headers are final.
 */
export function recordNodeResponse(res: ServerResponse, recorder: ResponseRecorder): HeadSnapshot {
  const head: HeadSnapshot = {};
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  let ended = false;
  const keep = (chunk: unknown, encoding: unknown): void => {
    if (tooLarge || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from(chunk as Uint8Array);
    size += buf.byteLength;
    if (size > recorder.maxBodyBytes) {
      tooLarge = true;
      chunks.length = 0;
    } else chunks.push(buf);
  };
  const write = res.write;
  const end = res.end;
  res.write = function writeRecorded(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function endRecorded(this: ServerResponse, ...args: unknown[]) {
    res.write = write;
    res.end = end;
    if (!ended) keep(args[0], args[1]);
    ended = true;
    const out = (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    if (tooLarge) recorder.fail('too-large');
    else
      recorder.complete(
        res.statusCode,
        head.headers ?? replayableHeaders(Object.entries(res.getHeaders())),
        Buffer.concat(chunks),
      );
    return out;
  } as ServerResponse['end'];
  res.once('close', () => {
    if (!ended && res.headersSent) recorder.fail('aborted');
  });
  return head;
}

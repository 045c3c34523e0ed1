import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { MppRequest } from '../engine/types.js';
import { MppError } from '../protocol/errors.js';
import { fromNodeRequest, type NodeRequestOptions } from './request.js';

/** Reads a stream up to one byte past the limit (enough to know it is too large). */
async function readBounded(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > limit) break;
  }
  return Buffer.concat(chunks);
}

/**
 * The engine's request for a framework that hands the body over as a stream of its own (Fastify's
 * `preParsing` payload: a socket, or `inject()`'s mock request), and `rest()`, the stream to give
 * back to the framework's parser: the same bytes if the engine read them, the untouched stream
 * otherwise. A body over `maxBodyBytes` is refused whole, never handed on cut.
 */
export function fromNodeStream(
  raw: IncomingMessage,
  payload: Readable,
  options: NodeRequestOptions & { maxBodyBytes: number },
): { req: MppRequest; rest(): Readable } {
  let bytes: Buffer | undefined;
  const limit = options.maxBodyBytes;
  const req: MppRequest = {
    ...fromNodeRequest(raw, options),
    body: async () => {
      bytes = await readBounded(payload, limit);
      if (bytes.length > limit)
        throw new MppError('payload-too-large', `Request body exceeds ${limit} bytes`);
      return bytes;
    },
  };
  const rest = (): Readable => {
    if (bytes === undefined) return payload;
    const replay = Readable.from([bytes], { objectMode: false });
    // Fastify checks the length it received against Content-Length on this property.
    return Object.assign(replay, { receivedEncodedLength: bytes.length });
  };
  return { req, rest };
}

/**
 * HTTP/1.1 over a raw TCP socket: the fuzzers send bytes no HTTP client library would (control
 * characters, repeated and oddly cased headers, 64 KiB values, malformed targets), exactly as an
 * attacker's socket would, and read back whatever the server (or Node's own parser) answers.
 */
import net from 'node:net';

export interface RawResponse {
  /** Status of the first response, or undefined when the server closed without answering. */
  status: number | undefined;
  /** Lower-cased header name → values. */
  headers: Map<string, string[]>;
  body: string;
  /** Everything received, as latin1 text. */
  raw: string;
}

export interface RawRequest {
  method: string;
  target: string;
  /** Header lines in order; names and values are sent verbatim (latin1). */
  headers: readonly (readonly [string, string])[];
  body?: Uint8Array;
}

/** Serializes a request; `Host`, `Content-Length` and `Connection: close` are added when absent. */
export function serialize(req: RawRequest, port: number): Buffer {
  const lines = [`${req.method} ${req.target} HTTP/1.1`];
  const has = (name: string) => req.headers.some(([n]) => n.toLowerCase() === name);
  if (!has('host')) lines.push(`Host: 127.0.0.1:${port}`);
  for (const [n, v] of req.headers) lines.push(`${n}: ${v}`);
  if (req.body && req.body.length > 0 && !has('content-length'))
    lines.push(`Content-Length: ${req.body.length}`);
  lines.push('Connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return req.body && req.body.length > 0 ? Buffer.concat([head, Buffer.from(req.body)]) : head;
}

function parse(raw: string): RawResponse {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(raw);
  const headers = new Map<string, string[]>();
  if (!m) return { status: undefined, headers, body: '', raw };
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(m[0].length, end < 0 ? raw.length : end);
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  let body = end < 0 ? '' : raw.slice(end + 4);
  if ((headers.get('transfer-encoding') ?? []).some((v) => /chunked/i.test(v))) {
    let out = '';
    let rest = body;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      const size = Number.parseInt(rest.slice(0, nl), 16);
      if (nl < 0 || !Number.isFinite(size) || size === 0) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    body = out;
  }
  return { status: Number(m[1]), headers, body, raw };
}

/**
 * Sends raw bytes and collects the answer until the server closes the connection. Rejects when
 * nothing has ended after `timeoutMs`: a hang is a finding, not a slow test.
 */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(parse(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(
      () => done(new Error(`no complete answer within ${timeoutMs} ms (a hang)`)),
      timeoutMs,
    );
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => done());
    socket.on('close', () => done());
    // A server that answers early and resets while we still write is an answer, not an error.
    socket.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNRESET' || e.code === 'EPIPE' ? done() : done(e),
    );
    socket.write(bytes);
  });
}

/** Sends one request over a raw socket. */
export function rawRequest(port: number, req: RawRequest, timeoutMs?: number): Promise<RawResponse> {
  return rawExchange(port, serialize(req, port), timeoutMs);
}

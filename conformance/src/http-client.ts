import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A response as received: every header field line kept separate. */
export interface RawResponse {
  readonly status: number;
  /** `[name, value]` per field line, names lower-cased. */
  readonly lines: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** One header (repeated lines joined with ", "), or undefined. */
  header(name: string): string | undefined;
  /** Every line of one header. */
  all(name: string): string[];
}

export interface RawRequest {
  method: string;
  /** Sent as is: the suite needs `\`, `%2e%2e` and `//` to reach the server unnormalized. */
  path: string;
  /** Header name → value; an array sends one field line per item. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

/**
 * Sends one request over a fresh connection. node:http is used instead of an HTTP client library
 * because those normalize paths (`\` → `/`) and join repeated header lines, both of which the
 * vectors must control or observe.
 */
export function send(server: http.Server, req: RawRequest): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, agent: false });
    for (const [name, value] of Object.entries(req.headers)) r.setHeader(name, value);
    if (req.body) r.setHeader('content-length', req.body.length);
    r.setTimeout(10_000, () => r.destroy(new Error(`${req.method} ${req.path} timed out`)));
    r.on('error', reject);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const lines: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          lines.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        }
        const all = (name: string) => lines.filter(([n]) => n === name).map(([, v]) => v);
        resolve({
          status: res.statusCode ?? 0,
          lines,
          body: Buffer.concat(chunks),
          all,
          header: (name) => {
            const values = all(name);
            return values.length ? values.join(', ') : undefined;
          },
        });
      });
    });
    r.end(req.body);
  });
}

/** Starts listening on an ephemeral loopback port unless the server already listens. */
export async function listen(server: http.Server): Promise<void> {
  if (server.listening) return;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** Closes a server, dropping idle keep-alive sockets so close() does not wait for them. */
export function close(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

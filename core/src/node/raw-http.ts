import http from 'node:http';
import https from 'node:https';

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

/** A request to send as is. */
export interface RawRequest {
  method: string;
  /** Scheme, host and port to connect to (and the target, unless `path` is given). */
  url: URL;
  /**
   * The request target, sent byte for byte. A URL normalizes (`\` → `/`, dot segments), and
   * path-bypass checks need `\`, `%2e%2e` and `//` to reach the server as written.
   */
  path?: string;
  /** Header name → value; an array sends one field line per item. */
  headers?: Record<string, string | string[]>;
  body?: Buffer;
  /** Default 15 s. */
  timeoutMs?: number;
}

/**
 * Sends one request over a fresh connection with node:http(s), for conformance checks (the suite
 * and `mpp test`). Not `fetch`, nor an HTTP client library: those normalize paths and join
 * repeated header lines, and the checks must send two `Authorization` lines (R33) and see each
 * `WWW-Authenticate` line on its own (R15).
 */
export function sendRaw(req: RawRequest): Promise<RawResponse> {
  const client = req.url.protocol === 'https:' ? https : http;
  const target = req.path ?? `${req.url.pathname}${req.url.search}`;
  return new Promise((resolve, reject) => {
    const r = client.request(req.url, { method: req.method, path: target, agent: false });
    for (const [name, value] of Object.entries(req.headers ?? {})) r.setHeader(name, value);
    if (req.body) r.setHeader('content-length', req.body.length);
    const timeout = req.timeoutMs ?? 15_000;
    r.setTimeout(timeout, () =>
      r.destroy(new Error(`${req.method} ${req.url.origin}${target} got no answer in ${timeout / 1000} s`)),
    );
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

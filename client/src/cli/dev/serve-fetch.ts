import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Fetch handler served over node:http. */
export interface FetchServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function toRequest(req: http.IncomingMessage, body: Buffer | undefined, origin: string): Request {
  const headers = new Headers();
  // rawHeaders keeps repeated lines (two Authorization lines must reach the gate, R33).
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  return new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? origin}`), {
    method: req.method,
    headers,
    ...(body?.length ? { body } : {}),
  });
}

/**
 * Serves a `(Request) => Response` handler with node:http on a loopback port: the smallest bridge
 * `mpp dev` needs, so the CLI carries no web framework.
 */
export async function serveFetch(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; host: string },
): Promise<FetchServer> {
  const server = http.createServer(async (req, res) => {
    try {
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const request = toRequest(req, hasBody ? await readBody(req) : undefined, `${options.host}`);
      const response = await handler(request);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of response.headers) headers[name] = value;
      const cookies = response.headers.getSetCookie();
      if (cookies.length) headers['set-cookie'] = cookies;
      res.writeHead(response.status, headers);
      res.end(req.method === 'HEAD' ? undefined : Buffer.from(await response.arrayBuffer()));
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal error"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '127.0.0.1' || options.host === 'localhost' ? 'localhost' : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

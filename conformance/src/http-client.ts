import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawResponse, sendRaw } from '@hit-pay/mpp/node';

export type { RawResponse };

/** A request of a scenario step, to the fixture server. */
export interface RawRequest {
  method: string;
  /** Sent as is: the suite needs `\`, `%2e%2e` and `//` to reach the server unnormalized. */
  path: string;
  /** Header name → value; an array sends one field line per item. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

/** Sends one request to a listening fixture server over a fresh loopback connection. */
export function send(server: http.Server, req: RawRequest): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return sendRaw({ ...req, url: new URL(`http://127.0.0.1:${port}/`), timeoutMs: 10_000 });
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

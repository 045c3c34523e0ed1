import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createBroker, type MppBroker } from '../broker.js';
import type { BrokerOptions } from '../options.js';

/** Options of {@link startBroker}: the broker's, plus where to listen. */
export interface StartBrokerOptions extends BrokerOptions {
  /** Port (`PORT`); 0 picks a free one. Default 4403. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (put a TLS proxy in front for HitPay's webhooks). */
  host?: string;
  /** Read the client address from the last `X-Forwarded-For` entry (behind a proxy you trust). Default false. */
  trustProxy?: boolean;
  /** How long shutdown waits for requests in flight (default 10 000 ms). */
  shutdownTimeoutMs?: number;
}

/** A broker listening over HTTP. */
export interface RunningBroker {
  /** Base URL it listens on, e.g. `http://127.0.0.1:4403`. */
  readonly url: string;
  readonly port: number;
  readonly broker: MppBroker;
  /** Stops accepting, lets requests in flight finish (bounded), then closes the broker. */
  close(): Promise<void>;
}

function toRequest(req: IncomingMessage, address: string | undefined): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // The client address is ours to say; a client-sent one is dropped.
    if (value === undefined || name === 'x-mpp-remote-address') continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  if (address) headers.set('x-mpp-remote-address', address);
  const method = req.method ?? 'GET';
  const target = req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(`http://broker.local${target}`, {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit);
}

/** Discarding an unread body costs bandwidth only, and lets the client read the answer. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  // Answered before the body was read (too large, refused early): closing at once would reset the
  // connection under a client still uploading, and it would never see the answer. Drain, bounded.
  const unread = !req.complete;
  if (unread) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(body);
  if (unread) {
    let drained = 0;
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.resume();
    setTimeout(() => req.destroy(), 5000).unref();
  }
}

function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    // The entry the trusted proxy appended is the last one; earlier ones are the client's to invent.
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? undefined;
}

/**
 * Runs a standalone broker: {@link createBroker} with the server endpoints on, served over HTTP,
 * for several API instances (`createMpp({ endpoint })` / `MPP_BROKER_URL`) or several merchants.
 *
 * @example
 * const running = await startBroker({ port: 4403, database: process.env.DATABASE_URL, secretKey: process.env.MPP_SECRET_KEY });
 * process.on('SIGTERM', () => running.close());
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const { port, host, trustProxy, shutdownTimeoutMs, ...brokerOptions } = options;
  const broker = await createBroker({ serverEndpoints: true, ...brokerOptions });
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    inFlight++;
    const done = () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    };
    res.once('close', done);
    let request: Request;
    try {
      request = toRequest(req, clientAddress(req, trustProxy === true));
    } catch {
      res.writeHead(400, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'https://paymentauth.org/problems/bad-request',
          title: 'Bad Request',
          status: 400,
        }),
      );
      return;
    }
    broker
      .fetch(request)
      .then((response) => writeResponse(req, res, response))
      .catch(() => {
        // The router never throws; this is a socket that went away mid-answer.
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? Number(process.env.PORT ?? 4403), host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    broker,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => {
              drained = resolve;
            }),
            new Promise((resolve) => setTimeout(resolve, shutdownTimeoutMs ?? 10_000).unref()),
          ]);
        }
        server.closeAllConnections();
        await stopped;
        await broker.close();
      })();
      return closing;
    },
  };
}

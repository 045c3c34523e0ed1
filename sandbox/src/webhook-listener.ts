/**
 * A tiny local HTTP receiver for tests and demos: records every POST with its raw bytes (so
 * signatures can be checked on exactly what arrived), answers with a chosen status (to exercise
 * retries), and serves a plain page on GET (a place for checkout redirects to land).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One received request. */
export interface ReceivedWebhook {
  method: string;
  /** Path and query as received. */
  path: string;
  /** Header names lowercased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  rawBody: Buffer;
  /** `rawBody` as UTF-8. */
  text: string;
  receivedAt: number;
  /** The status the listener answered with. */
  status: number;
}

/** What to answer a POST with: a status, or a function of the request (e.g. fail the first two). */
export type ListenerResponder = number | ((hook: Omit<ReceivedWebhook, 'status'>, index: number) => number);

/** A running listener. */
export interface WebhookListener {
  /** Base URL, e.g. `http://127.0.0.1:40123`; any path under it is accepted. */
  readonly url: string;
  /** POSTs received, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** GET/HEAD paths visited (redirect landings). */
  readonly visits: string[];
  /** Changes the answer for later POSTs. */
  respondWith(responder: ListenerResponder): void;
  /** Resolves with the received POSTs once `predicate` holds (or `count` have arrived); rejects on timeout. */
  waitFor(
    count: number | ((received: ReceivedWebhook[]) => boolean),
    timeoutMs?: number,
  ): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * Starts a listener on an ephemeral port.
 *
 * @example
 * const hooks = await startWebhookListener();
 * // …register `${hooks.url}/v2` as a webhook endpoint, trigger a payment…
 * const [first] = await hooks.waitFor(1);
 * await hooks.close();
 */
export async function startWebhookListener(
  options: { host?: string; port?: number; respond?: ListenerResponder } = {},
): Promise<WebhookListener> {
  const received: ReceivedWebhook[] = [];
  const visits: string[] = [];
  let responder: ListenerResponder = options.respond ?? 200;
  let wake: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        visits.push(req.url ?? '/');
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><title>Returned</title><h1>Returned to merchant</h1>');
        return;
      }
      const rawBody = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      const hook = {
        method: req.method,
        path: req.url ?? '/',
        headers,
        rawBody,
        text: rawBody.toString('utf8'),
        receivedAt: Date.now(),
      };
      const status = typeof responder === 'number' ? responder : responder(hook, received.length);
      received.push({ ...hook, status });
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'error');
      const w = wake;
      wake = [];
      for (const f of w) f();
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    received,
    visits,
    respondWith(r) {
      responder = r;
    },
    waitFor(count, timeoutMs = 5000) {
      const done = typeof count === 'number' ? (list: ReceivedWebhook[]) => list.length >= count : count;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          wake = wake.filter((f) => f !== check);
          reject(
            new Error(
              `webhook listener: condition not met within ${timeoutMs} ms (${received.length} received)`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (done(received)) {
            clearTimeout(timer);
            resolve([...received]);
          } else {
            wake.push(check);
          }
        };
        check();
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

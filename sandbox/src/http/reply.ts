/**
 * What a handler returns, and how it is written. Handlers never touch `ServerResponse`, so fault
 * injection can replace or withhold a finished reply after the work is done.
 */
import type { ServerResponse } from 'node:http';

/** A handler's answer: JSON, an HTML page, or a redirect. */
export type Reply =
  | { readonly status: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly status: number; readonly html: string }
  | { readonly status: 302 | 303; readonly location: string };

/** A JSON reply. */
export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { status, json: body, headers } : { status, json: body };

/** An HTML page reply. */
export const html = (status: number, page: string): Reply => ({ status, html: page });

/** A 303 See Other, which turns a form POST into a GET on the target. */
export const seeOther = (location: string): Reply => ({ status: 303, location });

/** Writes a reply; a HEAD request gets the headers only. */
export function writeReply(res: ServerResponse, reply: Reply, head = false): void {
  if (res.headersSent || res.destroyed) return;
  res.setHeader('Cache-Control', 'no-store');
  if ('location' in reply) {
    res.writeHead(reply.status, { Location: reply.location, 'Content-Length': '0' });
    res.end();
    return;
  }
  let body: string;
  if ('html' in reply) {
    body = reply.html;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
  } else {
    body = JSON.stringify(reply.json);
    res.setHeader('Content-Type', 'application/json');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  }
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(reply.status);
  res.end(head ? undefined : body);
}

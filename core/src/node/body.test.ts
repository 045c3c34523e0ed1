import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readNodeBody } from './body.js';

let server: http.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Starts a server whose handler hashes the body first, then lets "the app" read it again. */
async function serve(handler: (req: http.IncomingMessage) => Promise<unknown>): Promise<string> {
  server = http.createServer(async (req, res) => {
    try {
      res.end(JSON.stringify(await handler(req)));
    } catch (e) {
      res.statusCode = 500;
      res.end(String((e as Error).message));
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

function readAgain(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

describe('readNodeBody', () => {
  it('hashes the body and leaves it readable for the app (small and multi-chunk bodies)', async () => {
    const url = await serve(async (req) => {
      const bytes = await readNodeBody(req, 10_000_000);
      const again = await readAgain(req);
      return { first: bytes.length, again: again.length, same: Buffer.from(bytes).toString() === again };
    });
    for (const size of [1, 1000, 200_000]) {
      const body = 'x'.repeat(size);
      const r = await (await fetch(url, { method: 'POST', body })).json();
      expect(r).toEqual({ first: size, again: size, same: true });
    }
  });
  it('rejects bodies over the limit with payload-too-large', async () => {
    const url = await serve(async (req) =>
      readNodeBody(req, 10).then(
        () => 'read',
        (e) => e.code,
      ),
    );
    expect(await (await fetch(url, { method: 'POST', body: 'y'.repeat(100) })).json()).toBe(
      'payload-too-large',
    );
  });
  it('uses a raw body the app already captured', async () => {
    const url = await serve(async (req) => {
      (req as { rawBody?: Buffer }).rawBody = Buffer.from('captured');
      return Buffer.from(await readNodeBody(req, 100)).toString();
    });
    expect(await (await fetch(url, { method: 'POST', body: 'other' })).json()).toBe('captured');
  });
  it('explains a body consumed before it could be hashed', async () => {
    const url = await serve(async (req) => {
      await readAgain(req);
      return readNodeBody(req, 100).then(
        () => 'read',
        (e) => e.message,
      );
    });
    expect(await (await fetch(url, { method: 'POST', body: 'z' })).json()).toMatch(/before body parsers/);
  });
});

describe('readNodeBody on a plain Readable', () => {
  it('reads the bytes and leaves them readable (streams that are not IncomingMessage)', async () => {
    const { Readable } = await import('node:stream');
    const stream = Readable.from([Buffer.from('ab'), Buffer.from('cd')], { objectMode: false });
    const bytes = await readNodeBody(stream as unknown as http.IncomingMessage, 100);
    expect(Buffer.from(bytes).toString()).toBe('abcd');
    expect(await readAgain(stream as unknown as http.IncomingMessage)).toBe('abcd');
  });
});

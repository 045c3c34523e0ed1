/**
 * Deliberately broken servers for `mpp test`: a proxy in front of a correct example API that breaks
 * one rule of the Payment scheme, so the checker must name the scenarios that catch it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, type Challenge, formatChallenge, parseChallenges } from '@hit-pay/mpp/protocol';

export const DEFECTS = {
  /** 402s without `Cache-Control: no-store` (R3). */
  'no-store': 'a 402 without Cache-Control: no-store',
  /** Refusals of a credential carry no challenge (R2, R37). */
  'bare-refusal': 'a refusal 402 without WWW-Authenticate',
  /** A refusal re-issues the challenge of the credential it refuses, spent or tampered (R37). */
  'stale-challenge': 'a refusal re-issues the refused challenge',
  /** Only the id is checked: the echoed members are swapped back for the issued ones (R25). */
  'unbound-ids': 'ids that do not bind the challenge members',
  /** A credential is honoured on any path or query: it is served as the challenged request (R41). */
  'unbound-request': 'ids that do not bind the request (path and query)',
  /** A credential that paid once is served again and again (R27, R32). */
  'accept-replays': 'replays (and concurrent copies) accepted',
  /** A paid response turned into a 500 that keeps its receipt (R45). */
  'receipt-on-500': 'a receipt on a 500',
  /** Receipts with a lower-case `cache-control: public` (R44). */
  'public-receipt': 'cache-control: public on receipts',
} as const;
export type Defect = keyof typeof DEFECTS;

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

function grouped(raw: readonly string[], skip: (name: string) => boolean = () => false) {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (skip(name)) continue;
    const prev = out[name];
    out[name] = prev === undefined ? raw[i + 1]! : [...(Array.isArray(prev) ? prev : [prev]), raw[i + 1]!];
  }
  return out;
}

function forward(
  target: URL,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body: Buffer,
) {
  return new Promise<Upstream>((resolve, reject) => {
    const r = http.request({ host: target.hostname, port: target.port, method, path, headers, agent: false });
    r.on('error', reject);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 502,
          headers: grouped(
            res.rawHeaders,
            (n) => n === 'connection' || n === 'keep-alive' || n === 'transfer-encoding',
          ),
          body: Buffer.concat(chunks),
        }),
      );
    });
    r.end(body.length ? body : undefined);
  });
}

const credentialOf = (h: Record<string, string | string[]>) =>
  [h.authorization, h['payment-authorization']].flat().find((v) => v && /^payment\b/i.test(v));

/** Starts a proxy to `target` with one defect. */
export async function brokenProxy(
  target: string,
  defect: Defect,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const issued = new Map<string, Challenge>();
  const targets = new Map<string, string>();
  const served = new Map<string, Promise<Upstream>>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = grouped(req.rawHeaders);
    const credential = credentialOf(headers);
    if (defect === 'unbound-ids' && credential) {
      const field = headers.authorization === credential ? 'authorization' : 'payment-authorization';
      try {
        const token = JSON.parse(base64url.decodeText(credential.replace(/^payment\s+/i, '')));
        const original = issued.get(token.challenge?.id);
        if (original)
          headers[field] = `Payment ${base64url.encode(JSON.stringify({ ...token, challenge: original }))}`;
      } catch {}
    }
    let path = req.url!;
    if (defect === 'unbound-request' && credential) {
      try {
        const id = JSON.parse(base64url.decodeText(credential.replace(/^payment\s+/i, ''))).challenge?.id;
        path = targets.get(id) ?? path;
      } catch {}
    }
    const call = () => forward(upstream, req.method!, path, headers, Buffer.concat(chunks));
    let up: Upstream;
    if (defect === 'accept-replays' && credential) {
      let p = served.get(credential);
      if (!p) {
        p = call();
        served.set(credential, p);
      }
      up = await p;
      if (up.status >= 300) served.delete(credential);
    } else up = await call();
    if (up.status === 402) {
      for (const line of [up.headers['www-authenticate'] ?? []].flat())
        try {
          for (const c of parseChallenges(line)) {
            issued.set(c.id, c);
            targets.set(c.id, req.url!);
          }
        } catch {}
      if (defect === 'no-store') delete up.headers['cache-control'];
      if (defect === 'bare-refusal' && credential) delete up.headers['www-authenticate'];
      if (defect === 'stale-challenge' && credential)
        try {
          const echo = JSON.parse(base64url.decodeText(credential.replace(/^payment\s+/i, ''))).challenge;
          up.headers['www-authenticate'] = formatChallenge(echo);
        } catch {}
    }
    const receipt = up.headers['payment-receipt'] !== undefined;
    if (receipt && defect === 'public-receipt') {
      delete up.headers['cache-control'];
      up.headers['cache-control'] = 'public, max-age=60';
    }
    const status = receipt && defect === 'receipt-on-500' ? 500 : up.status;
    res.writeHead(status, up.headers);
    res.end(up.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

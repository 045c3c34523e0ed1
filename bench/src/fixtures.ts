/**
 * What every benchmark shares: the secret, the price, engines built on the deterministic `test`
 * method (or a no-op method shaped like mppx's), hand-built engine requests, and pre-generated
 * credentials (made before any timed window: the benchmarks measure the server, not the generator).
 */
import {
  type CompiledRoute,
  MppEngine,
  type MppRequest,
  type PaymentMethod,
  type RequestObject,
  type RespondDecision,
} from '@hit-pay/mpp';
import { formatCredential, parseChallenges } from '@hit-pay/mpp/protocol';
import { testMethod } from '@hit-pay/mpp/testing';

export const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
export const REALM = 'api.example.com';
/** The static price every protected route charges (SGD 1.00 = 100 minor units). */
export const PRICE = { amount: '1.00', currency: 'SGD', description: 'Forecast' } as const;
export const TARGET = '/forecast/94103?units=metric';

/** A method with the shape of mppx's no-op benchmark method: verify returns at once, no replay store. */
export function noopMethod(): PaymentMethod {
  return {
    name: 'noop',
    intent: 'charge',
    compile(route) {
      const price = route.price;
      if (price === undefined || typeof price === 'function') return undefined;
      const fixed: RequestObject = Object.freeze({
        amount: '100',
        currency: 'sgd',
        recipient: 'acct_test',
        description: PRICE.description,
      });
      return {
        request: () => fixed,
        async verify(ctx) {
          const proof = String(ctx.credential.payload.proof);
          return {
            amount: '100',
            currency: 'sgd',
            reference: `ref_${proof}`,
            commit: async () => {},
            release: async () => {},
          };
        },
      };
    },
  };
}

export interface BenchEngine {
  engine: MppEngine;
  route: CompiledRoute;
}

/** An engine on one method (default: the `test` method), fixed realm, TLS not required. */
export function benchEngine(method: PaymentMethod = testMethod()): BenchEngine {
  const engine = new MppEngine({ methods: [method], secretKey: SECRET, realm: REALM, requireTls: false });
  return { engine, route: engine.route({ ...PRICE }, 'GET /forecast/:zip') };
}

/** An engine request for `GET target`, with an optional Authorization header (what the Node bridge builds). */
export function engineRequest(target = TARGET, authorization?: string): MppRequest {
  const lines: Record<string, string[]> = authorization ? { authorization: [authorization] } : {};
  const header = (name: string): string | undefined => lines[name.toLowerCase()]?.[0];
  return {
    method: 'GET',
    target,
    header,
    headerLines: (name) => lines[name] ?? [],
    headers: { get: (name) => header(name) ?? null },
    body: async () => undefined,
    hasBody: false,
    protocol: 'https',
    host: REALM,
    remoteAddress: '127.0.0.1',
  };
}

let proofCounter = 0;
/** A fresh proof for the `test` method (`ok-<n>`, never reused in this process). */
export const nextProof = (): string => `ok-${++proofCounter}`;

/**
 * `n` distinct credentials for `route`: each a genuine challenge issued by `engine` for `req`,
 * paid with a fresh proof. Issued now, spent later.
 */
export async function pregenerate(
  { engine, route }: BenchEngine,
  n: number,
  req: MppRequest = engineRequest(),
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = (await engine.decide(req, route)) as RespondDecision;
    const header = d.headers.find(([name]) => name === 'www-authenticate')![1];
    const [challenge] = parseChallenges(header);
    out.push(formatCredential({ challenge: challenge as never, payload: { proof: nextProof() } }));
  }
  return out;
}

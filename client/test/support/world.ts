/**
 * A world for end-to-end tests of the CLI: the offline HitPay sandbox and an example weather API
 * wired to it (embedded broker, in-memory PGlite), as test-support/example-e2e.ts does, but with a
 * key per world so several worlds can share one process (the embedded broker is per process).
 */
import type { AddressInfo } from 'node:net';
import type { MppOptions } from '@hit-pay/mpp';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { serve } from '@hono/node-server';
import { buildApp as expressApp } from '../../../examples/express/src/app.ts';
import { buildApp as fastifyApp } from '../../../examples/fastify/src/app.ts';
import { buildApp as honoApp } from '../../../examples/hono/src/app.ts';
import { buildApp as koaApp } from '../../../examples/koa/src/app.ts';
import { buildApp as nestApp } from '../../../examples/nest/src/app.ts';

/** A running API. */
export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export interface World {
  sandbox: Sandbox;
  api: RunningApi;
  apiKey: string;
  close(): Promise<void>;
}

const listening = async (server: import('node:http').Server): Promise<RunningApi> => {
  if (!server.listening) await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
};

/** The five example APIs, each started the way its own end-to-end test starts it. */
export const EXAMPLES: Record<string, (options: MppOptions) => Promise<RunningApi>> = {
  express: async (o) => listening(expressApp(o).listen(0, '127.0.0.1')),
  fastify: async (o) => {
    const app = await fastifyApp(o);
    return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
  },
  koa: async (o) => listening(koaApp(o).listen(0, '127.0.0.1')),
  nest: async (o) => {
    const app = await nestApp(o);
    await app.listen(0, '127.0.0.1');
    return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() };
  },
  'fetch (hono)': async (o) =>
    listening(serve({ fetch: honoApp(o).app.fetch, port: 0, hostname: '127.0.0.1' }) as never),
};

let worlds = 0;

/** Starts a sandbox and an API wired to it; `extra` adds engine options (e.g. the -01 header). */
export async function startWorld(
  start: (options: MppOptions) => Promise<RunningApi>,
  extra: Partial<MppOptions> = {},
): Promise<World> {
  const sandbox = await startSandbox({ port: 0, webhookRetryDelaysMs: [50, 200, 500] });
  const apiKey = `test_cli_world_${process.pid}_${++worlds}`;
  const webhookSalt = `cli-world-endpoint-salt-${worlds}`;
  const api = await start({
    apiKey,
    webhookSalt,
    apiSalt: sandbox.business(apiKey).salt,
    hitpayBaseUrl: sandbox.url,
    database: 'memory://',
    // Every world of a test file shares the process's embedded broker and comes from 127.0.0.1.
    brokerOptions: {
      reconcileIntervalMs: 0,
      rateLimits: { checkoutPerAddress: false, checkoutPerMerchant: false },
    },
    ...extra,
  });
  sandbox.registerWebhookEndpoint(apiKey, { url: `${api.url}/mpp/v1/webhook/hitpay`, salt: webhookSalt });
  return {
    sandbox,
    api,
    apiKey,
    close: async () => {
      await api.close();
      await sandbox.close();
    },
  };
}

/** Pays every pending payment request of the sandbox, as a person scanning the QR would. */
export function autoPay(sandbox: Sandbox, everyMs = 100): () => void {
  const timer = setInterval(() => {
    for (const pr of Object.values(sandbox.state.paymentRequests))
      if (pr.status === 'pending') sandbox.pay(pr.id);
  }, everyMs);
  return () => clearInterval(timer);
}

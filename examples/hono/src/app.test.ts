import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { describeExampleE2E } from '../../../test-support/example-e2e.ts';
import { buildApp } from './app.js';

describeExampleE2E('fetch (hono)', async (options) => {
  const server = serve({ fetch: buildApp(options).app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
});

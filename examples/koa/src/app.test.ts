import type { AddressInfo } from 'node:net';
import { describeExampleE2E } from '../../../test-support/example-e2e.ts';
import { buildApp } from './app.js';

describeExampleE2E('koa', async (options) => {
  const server = buildApp(options).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
});

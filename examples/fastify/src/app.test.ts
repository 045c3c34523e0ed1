import { describeExampleE2E } from '../../../test-support/example-e2e.ts';
import { buildApp } from './app.js';

describeExampleE2E('fastify', async (options) => {
  const app = await buildApp(options);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});

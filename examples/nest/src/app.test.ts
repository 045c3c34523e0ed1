import { describeExampleE2E } from '../../../test-support/example-e2e.ts';
import { buildApp } from './app.js';

describeExampleE2E('nest', async (options) => {
  const app = await buildApp(options);
  await app.listen(0, '127.0.0.1');
  return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() };
});

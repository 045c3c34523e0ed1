/**
 * `mpp-sandbox [--port N] [--host H] [--state file.json] [--public-url URL]`: runs the sandbox in
 * the foreground, prints its URL and the demo business's API key and salt, and shuts down cleanly
 * on SIGINT/SIGTERM. This is the only module that writes to the console.
 */
import { parseArgs } from 'node:util';
import { startSandbox } from './server.js';

/** The business every CLI sandbox has, so a fresh checkout can start without configuration. */
export const DEMO_BUSINESS = {
  apiKey: 'test_mpp_sandbox_demo_key',
  salt: 'mpp_sandbox_demo_salt',
  slug: 'mpp-demo',
  name: 'MPP Demo Shop',
} as const;

const USAGE = `Usage: mpp-sandbox [options]

  --port N          port to listen on (default 4402; 0 picks a free port)
  --host H          interface to bind (default 127.0.0.1)
  --state FILE      load state from FILE at start and save changes to it
  --public-url URL  base URL used in checkout links (default http://HOST:PORT)
  -h, --help        show this help
`;

async function main(argv: string[]): Promise<number> {
  let values: { port?: string; host?: string; state?: string; 'public-url'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        state: { type: 'string' },
        'public-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(values.port ?? '4402');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be an integer between 0 and 65535\n`);
    return 2;
  }
  // Listen for signals before printing the URL: a supervisor may signal as soon as it reads it.
  let signalled: string | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (signal: string) => {
    signalled ??= signal;
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sandbox = await startSandbox({
    port,
    host: values.host ?? '127.0.0.1',
    stateFile: values.state,
    publicUrl: values['public-url'],
    businesses: [DEMO_BUSINESS],
    onError: (error) => console.error('[mpp-sandbox]', error),
  });
  console.log(`HitPay sandbox listening on ${sandbox.url}`);
  console.log(`  API key (X-BUSINESS-API-KEY): ${DEMO_BUSINESS.apiKey}`);
  console.log(`  API salt (v1 webhooks):       ${DEMO_BUSINESS.salt}`);
  console.log('  Any other test_ key works too; GET /_sandbox/business shows its salt.');
  if (values.state) console.log(`  State file: ${values.state}`);

  if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
  console.log(`\n${signalled}: shutting down`);
  await sandbox.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[mpp-sandbox]', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

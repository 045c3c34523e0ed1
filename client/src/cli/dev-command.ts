import { join } from 'node:path';
import { type Broker, createMpp } from '@hit-pay/mpp';
import { serveFetch } from './dev/serve-fetch.js';
import { DEV_ROUTES, weatherApi } from './dev/weather-api.js';
import { optionalImport } from './optional.js';
import { ExitCode, type Output } from './output.js';

/** The flags of `mpp dev` (commander hands them over as strings). */
export interface DevFlags {
  port?: string;
  sandboxPort?: string;
  host?: string;
  persist?: boolean;
  json?: boolean;
}

/** The sandbox's demo business (the one `mpp sandbox` prints too). */
export const DEV_BUSINESS = {
  apiKey: 'test_mpp_sandbox_demo_key',
  salt: 'mpp_sandbox_demo_salt',
  slug: 'mpp-demo',
  name: 'MPP Demo Shop',
} as const;
const WEBHOOK_SALT = 'mpp-dev-webhook-endpoint-salt';
// Seals the dev broker's keys at rest; fixed so a --persist folder opens again. Local use only.
const DEV_BROKER_SECRET = 'mpp-dev-broker-secret-for-local-use-only-0001';

/** What `mpp dev` needs of `@hit-pay/mpp-sandbox`. */
interface SandboxModule {
  startSandbox(options: Record<string, unknown>): Promise<{
    url: string;
    state: { webhookEndpoints: Record<string, { url: string }> };
    registerWebhookEndpoint(apiKey: string, endpoint: { url: string; salt?: string }): unknown;
    close(): Promise<void>;
  }>;
}
/** What `mpp dev` needs of `@hit-pay/mpp-broker`. */
interface BrokerModule {
  createBroker(options: Record<string, unknown>): Promise<Broker & { close(): Promise<void> }>;
}

function port(value: string | undefined, fallback: number, flag: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw Object.assign(new Error(`${flag} must be a port number (0 picks a free one)`), {
      code: 'bad-request',
    });
  return n;
}

/**
 * Resolves on the first SIGINT or SIGTERM. The listeners stay: a terminal's Ctrl-C reaches this
 * process twice (directly and forwarded by bin/mpp.js), and the second must not kill the shutdown.
 */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
}

/**
 * `mpp dev`: the offline HitPay sandbox, an embedded broker and a weather API in one process,
 * wired together (v2 webhook endpoint registered), until SIGINT/SIGTERM closes all three.
 */
export async function devCommand(flags: DevFlags, out: Output): Promise<number> {
  const apiPort = port(flags.port, 3000, '--port');
  const sandboxPort = port(flags.sandboxPort, 0, '--sandbox-port');
  const host = flags.host ?? '127.0.0.1';
  const signalled = untilSignal();
  const { startSandbox } = await optionalImport<SandboxModule>('@hit-pay/mpp-sandbox', 'mpp dev');
  const { createBroker } = await optionalImport<BrokerModule>('@hit-pay/mpp-broker', 'mpp dev');
  const dir = flags.persist ? join('.mpp', 'dev') : undefined;

  const sandbox = await startSandbox({
    port: sandboxPort,
    host,
    businesses: [DEV_BUSINESS],
    webhookRetryDelaysMs: [200, 1000, 5000],
    ...(dir ? { stateFile: join(dir, 'sandbox.json') } : {}),
  });
  const closers: (() => Promise<void>)[] = [() => sandbox.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const broker = await createBroker({
      database: dir ? join(dir, 'broker') : 'memory://',
      secretKey: DEV_BROKER_SECRET,
    });
    closers.push(() => broker.close());
    const mpp = createMpp({
      apiKey: DEV_BUSINESS.apiKey,
      apiSalt: DEV_BUSINESS.salt,
      webhookSalt: WEBHOOK_SALT,
      hitpayBaseUrl: sandbox.url,
      broker,
    });
    const api = await serveFetch(weatherApi(mpp), { port: apiPort, host });
    closers.push(() => api.close());
    const webhook = `${api.url}/mpp/v1/webhook/hitpay`;
    // As a merchant does once in HitPay's dashboard; a persisted sandbox already has it.
    if (!Object.values(sandbox.state.webhookEndpoints).some((e) => e.url === webhook))
      sandbox.registerWebhookEndpoint(DEV_BUSINESS.apiKey, { url: webhook, salt: WEBHOOK_SALT });

    printBanner(out, { api: api.url, sandbox: sandbox.url, storage: dir ?? 'memory (--persist keeps it)' });
    out.result({
      event: 'ready',
      api: api.url,
      sandbox: sandbox.url,
      broker: `${api.url}/mpp`,
      apiKey: DEV_BUSINESS.apiKey,
      routes: DEV_ROUTES,
    });
    const signal = await signalled;
    out.say(`\n${signal}: shutting down`);
    await closeAll();
    out.result({ event: 'stopped', signal });
    return ExitCode.ok;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function printBanner(out: Output, at: { api: string; sandbox: string; storage: string }): void {
  const b = (s: string) => `\x1b[1m${s}\x1b[0m`;
  const routes = DEV_ROUTES.map((r) => `      ${r.route.padEnd(26)} ${r.price}`).join('\n');
  out.say(`${b('HitPay MPP dev')}
  weather API     ${at.api}
${routes}
  HitPay sandbox  ${at.sandbox}   (API key ${DEV_BUSINESS.apiKey})
  broker          ${at.api}/mpp   (embedded; storage: ${at.storage})

${b('Next steps')}
  1. Pay for a forecast (a QR and a checkout link appear):
       mpp fetch ${at.api}/forecast/94103
  2. Pay it: open the checkout link in a browser and press Pay, or
       curl -X POST ${at.sandbox}/_sandbox/payment-requests/<id>/pay
     (<id> is the payment request id mpp fetch prints)
  3. Save a wallet, then pay per call with no checkout:
       mpp save ${at.api}/forecast/94103/hourly -m grabpay_direct -e you@example.com
       curl -X POST ${at.sandbox}/_sandbox/recurring-billing/<id>/approve
       mpp fetch --grant ~/.mpp/grant.json ${at.api}/forecast/94103/hourly
  4. Check the API against the conformance scenarios:
       mpp test ${at.api}/forecast/94103 --sandbox ${at.sandbox} --route ${at.api}/forecast/10001

Ctrl-C stops everything.`);
}

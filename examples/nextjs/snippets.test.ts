/**
 * HitPay MPP's product page (shared/seeds/000): its five snippets, as written, run end to end.
 *
 * - The server snippets are Next.js App Router route handlers (`app/api/forecast/[zip]/…`), called
 *   the way Next.js calls them (`GET(request, { params: Promise })`) behind a Node HTTP server.
 * - `createMpp({ endpoint: 'https://sandbox.mpp.hitpay.dev' })` names HitPay's hosted broker, which
 *   cannot be reached from here; the test runs OUR standalone broker locally and routes that host to
 *   it (a `fetch` wrapper rewriting the origin). Everything else is real: the broker, its storage,
 *   the HitPay sandbox (HitPay's API, checkout, webhooks), the agent client, receipts and JWKS.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBroker } from '@hit-pay/mpp-broker';
import { type Sandbox, startSandbox } from '@hit-pay/mpp-sandbox';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const HOSTED = 'https://sandbox.mpp.hitpay.dev';
const API_KEY = 'test_product_page_key';
const SALT = 'product-page-endpoint-salt';

/** The snippets as the product page prints them (whitespace-normalised when compared). */
const PAGE = {
  init: `import { createMpp } from '@hit-pay/mpp'
const mpp = createMpp({
apiKey: process.env.HITPAY_API_KEY!,
webhookSalt: process.env.HITPAY_WEBHOOK_SALT,
endpoint: 'https://sandbox.mpp.hitpay.dev',
})`,
  protect: `import { NextResponse } from 'next/server'
// app/api/forecast/[zip]/route.ts
export const GET = mpp.protect(
{ amount: '1.00', currency: 'sgd', description: 'Forecast' },
async (_req, ctx) => {
const { zip } = await ctx.params
return NextResponse.json({ zip, forecast: 'sunny' })
},
)`,
  saved: `export const GET = mpp.protectSavedMethod(
{
customerEmail: (req) => req.headers.get('x-user-email')!,
currency: 'sgd',
maxAmountPerCharge: '5.00',
totalAmountCap: '50.00',
perCallAmount: '0.50',
},
async (_req, ctx) => {
const { zip } = await ctx.params
return NextResponse.json({ zip, forecast: 'sunny' })
},
)`,
  fetch: `const { response, receipt } = await mppFetch(url, {
onChallenge: (ch) => {
// Surface the checkout URL to the user (or auto-approve under a cap)
console.log('pay here:', ch.methodDetails.checkout_url)
return { pay: true }
},
})`,
  save: `// One-time setup — let the user pick a wallet, open the deep link.
const rail = await ui.pickRail(['grabpay_direct', 'shopee_pay', 'touch_n_go'])
const spm = await mppSaveMethod(url, {
paymentMethod: rail,`,
  saveRest: `onSetupUrl: (u) => window.open(u),
})
saveToDisk(spm.jws)
// Reuse — present the JWS on any future charge to the same merchant.
const { response, receipt } = await mppFetch(url, {
savedMethodJws: loadFromDisk(),
})`,
};

const squash = (s: string) => s.replace(/\s+/g, ' ').replace(/;/g, '').trim();
// The page leaves out where `mpp` comes from; the files import it from lib/mpp.ts (wherever the formatter puts that line).
const source = (path: string) =>
  squash(
    readFileSync(new URL(path, import.meta.url), 'utf8').replace(
      /^import \{ mpp \} from '[./]+\/lib\/mpp';$/m,
      '',
    ),
  );

describe('the product page snippets are the code that runs', () => {
  it.each([
    ['lib/mpp.ts', PAGE.init.replace('const mpp', 'export const mpp')],
    ['app/api/forecast/[zip]/route.ts', PAGE.protect],
    ['app/api/forecast/[zip]/hourly/route.ts', PAGE.saved],
    ['agent/pay-each-request.ts', PAGE.fetch],
    ['agent/save-once.ts', PAGE.save],
    ['agent/save-once.ts', PAGE.saveRest],
  ])('%s holds the snippet verbatim', (file, snippet) => {
    expect(source(file)).toContain(squash(snippet));
  });
});

describe('the product page snippets, end to end', () => {
  let sandbox: Sandbox;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let api: http.Server;
  let base: string;
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, webhookRetryDelaysMs: [50, 200] });
    broker = await startBroker({
      port: 0,
      database: 'memory://',
      secretKey: 'standalone-broker-secret-0123456789abcdef',
      publicUrl: HOSTED,
      hitpayBaseUrls: [sandbox.url],
      reconcileIntervalMs: 0,
    });
    // The merchant's setup from the product page: a v2 webhook endpoint pointing at the broker.
    sandbox.registerWebhookEndpoint(API_KEY, { url: `${broker.url}/v1/webhook/hitpay`, salt: SALT });
    vi.stubEnv('HITPAY_API_KEY', API_KEY);
    vi.stubEnv('HITPAY_WEBHOOK_SALT', SALT);
    vi.stubEnv('HITPAY_BASE_URL', sandbox.url);
    vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith(HOSTED)) return realFetch(input, init);
      const local = broker.url + url.slice(HOSTED.length);
      return input instanceof Request ? realFetch(new Request(local, input), init) : realFetch(local, init);
    });
    // Next.js route handlers behind a Node server, called as Next calls them.
    const today = (await import('./app/api/forecast/[zip]/route.ts')).GET;
    const hourly = (await import('./app/api/forecast/[zip]/hourly/route.ts')).GET;
    api = http.createServer(async (req, res) => {
      const url = new URL(req.url!, 'http://127.0.0.1');
      const m = /^\/api\/forecast\/([^/]+)(\/hourly)?$/.exec(url.pathname);
      if (!m) return void res.writeHead(404).end();
      const request = new Request(new URL(req.url!, base), {
        method: req.method,
        headers: req.headers as HeadersInit,
      });
      const out = await (m[2] ? hourly : today)(request, { params: Promise.resolve({ zip: m[1]! }) });
      res.writeHead(out.status, Object.fromEntries(out.headers));
      res.end(Buffer.from(await out.arrayBuffer()));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
    await new Promise<void>((r) => api?.close(() => r()));
    await broker?.close();
    await sandbox?.close();
  });

  it('mpp.protect + mppFetch(url, { onChallenge }): the person pays the logged checkout URL; 200 with a verified receipt', async () => {
    const { payEachRequest } = await import('./agent/pay-each-request.ts');
    const log = vi.spyOn(console, 'log').mockImplementation((label: string, checkoutUrl: string) => {
      expect(label).toBe('pay here:');
      // The person opens the checkout and pays (HitPay's page: /payment-request/@slug/<id>/checkout).
      sandbox.pay(new URL(checkoutUrl).pathname.split('/').at(-2)!);
    });
    const { response, receipt } = await payEachRequest(`${base}/api/forecast/94103`);
    log.mockRestore();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ zip: '94103', forecast: 'sunny' });
    expect(receipt).toMatchObject({ method: 'hitpay', amount: '100', currency: 'sgd', iss: HOSTED });
  });

  it('mpp.protectSavedMethod + mppSaveMethod + mppFetch({ savedMethodJws }): approved once, charged with no checkout', async () => {
    const env = await import('./agent/app-env.ts');
    env.setOpener((url) => sandbox.approve(new URL(url).pathname.split('/').pop()!));
    const { saveOnceReuse } = await import('./agent/save-once.ts');
    const charges = sandbox.stats.created.charges;
    const { response, receipt } = await saveOnceReuse(`${base}/api/forecast/94103/hourly`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ zip: '94103', forecast: 'sunny' });
    expect(receipt).toMatchObject({
      method: 'hitpay-save',
      amount: '50',
      currency: 'sgd',
      remaining: '4950',
    });
    expect(sandbox.stats.created.charges - charges).toBe(1);
  });
});

describe('the product page snippets type-check as written', () => {
  it('tsc --noEmit over app/, lib/ and agent/', async () => {
    const { spawnSync } = await import('node:child_process');
    const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [tsc, '-p', new URL('./tsconfig.json', import.meta.url).pathname], {
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);
});

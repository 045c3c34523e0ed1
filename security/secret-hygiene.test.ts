/**
 * Secret hygiene. The whole flow runs with every log line captured at debug level (engine and
 * broker share a capturing `Logger`), driven by the real agent client through a fetch that records
 * every exchange: one-time payment, saved-wallet setup and charges, a failing handler (release and
 * refund), HitPay down, forged webhooks, a wrong setup token, bad credentials, the reconciler. Then
 * no API key, salt, challenge secret, sealing secret, private signing key, credential or grant may
 * appear in any log line, response header or body — except where handing it out is the point (the
 * setup token in the setup answer, the grant in the poll answer that presents that token).
 * Run twice: broker embedded, and standalone (the API key travels as a Bearer token).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MppOptions, merchantIdFor } from '@hit-pay/mpp';
import { generateSigningKey } from '@hit-pay/mpp/receipts';
import { createBroker, type RunningBroker, startBroker } from '@hit-pay/mpp-broker';
import { mppFetch, mppSaveMethod } from '@hit-pay/mpp-client';
import { mppExpress } from '@hit-pay/mpp-express';
import { type Sandbox, signV2, startSandbox } from '@hit-pay/mpp-sandbox';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_SECRET, capturingLogger, FORECAST, HOURLY } from './support/world.ts';

const CHALLENGE_SECRET = 'security-hygiene-challenge-secret-0123456789abcdef';

interface Exchange {
  url: string;
  requestAuthorization: string | null;
  status: number;
  headers: string;
  body: string;
}

/** A fetch that keeps every request's Authorization and every response, for the scan. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const headers: string[] = [];
    res.headers.forEach((v, k) => {
      headers.push(`${k}: ${v}`);
    });
    log.push({
      url: String(input instanceof Request ? input.url : input),
      requestAuthorization: new Headers(init?.headers).get('authorization'),
      status: res.status,
      headers: headers.join('\n'),
      body: await res.clone().text(),
    });
    return res;
  };
}

interface Deployment {
  name: string;
  start(
    sandbox: Sandbox,
    logger: ReturnType<typeof capturingLogger>,
    signingKey: string,
  ): Promise<{
    url: string;
    apiKey: string;
    webhookUrl: string;
    reconcile(): Promise<unknown>;
    close(): Promise<void>;
  }>;
}

async function serveApi(options: MppOptions) {
  const app = express();
  const gate = mppExpress(options);
  app.use(gate);
  app.get('/forecast/:zip', gate.protect(FORECAST), (req, res) => {
    res.json({ zip: req.params.zip });
  });
  app.get('/failing', gate.protect(FORECAST), (_req, res) => {
    res.status(500).json({ error: 'handler failed' });
  });
  app.get('/hourly/:zip', gate.protectSavedMethod(HOURLY), (req, res) => {
    res.json({ zip: req.params.zip });
  });
  app.get('/saved-failing', gate.protectSavedMethod(HOURLY), (_req, res) => {
    res.status(503).json({ error: 'upstream down' });
  });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const deployments: Deployment[] = [
  {
    name: 'embedded broker',
    async start(sandbox, logger, signingKey) {
      const apiKey = 'test_hygiene_embedded';
      const broker = await createBroker({
        database: 'memory://',
        secretKey: BROKER_SECRET,
        signingKey,
        logger,
        reconcileIntervalMs: 0,
        pollIntervalMs: 0,
      });
      const options: MppOptions = {
        apiKey,
        apiSalt: sandbox.business(apiKey).salt,
        webhookSalt: 'hygiene-webhook-salt-embedded',
        secretKey: CHALLENGE_SECRET,
        hitpayBaseUrl: sandbox.url,
        broker,
        logger,
      };
      const api = await serveApi(options);
      sandbox.registerWebhookEndpoint(apiKey, {
        url: `${api.url}/mpp/v1/webhook/hitpay`,
        salt: options.webhookSalt,
      });
      return {
        url: api.url,
        apiKey,
        webhookUrl: `${api.url}/mpp/v1/webhook/hitpay`,
        reconcile: () => broker.reconcile(),
        close: async () => {
          await api.close();
          await broker.close();
        },
      };
    },
  },
  {
    name: 'standalone broker',
    async start(sandbox, logger, signingKey) {
      const apiKey = 'test_hygiene_standalone';
      const running: RunningBroker = await startBroker({
        port: 0,
        database: 'memory://',
        secretKey: BROKER_SECRET,
        signingKey,
        logger,
        reconcileIntervalMs: 0,
        pollIntervalMs: 0,
        hitpayBaseUrls: [sandbox.url],
      });
      const options: MppOptions = {
        apiKey,
        apiSalt: sandbox.business(apiKey).salt,
        webhookSalt: 'hygiene-webhook-salt-standalone',
        secretKey: CHALLENGE_SECRET,
        hitpayBaseUrl: sandbox.url,
        endpoint: running.url,
        logger,
      };
      const api = await serveApi(options);
      const merchant = merchantIdFor(apiKey);
      sandbox.registerWebhookEndpoint(apiKey, {
        url: `${running.url}/v1/webhook/hitpay/${merchant}`,
        salt: options.webhookSalt,
      });
      return {
        url: api.url,
        apiKey,
        webhookUrl: `${running.url}/v1/webhook/hitpay/${merchant}`,
        reconcile: () => running.broker.reconcile(),
        close: async () => {
          await api.close();
          await running.close();
        },
      };
    },
  },
];

describe.each(deployments)('$name', (deployment) => {
  let sandbox: Sandbox;
  let d: Awaited<ReturnType<Deployment['start']>>;
  const logger = capturingLogger();
  const exchanges: Exchange[] = [];
  const recorded = recordingFetch(exchanges);
  let privateD: string;
  const handedOut: { token?: string; grant?: string } = {};

  beforeAll(async () => {
    sandbox = await startSandbox({ webhookRetryDelaysMs: [50, 200] });
    const key = await generateSigningKey();
    privateD = String(key.privateJwk.d);
    d = await deployment.start(sandbox, logger, JSON.stringify(key.privateJwk));
  });
  afterAll(async () => {
    await d?.close();
    await sandbox?.close();
  });

  it('runs the whole flow, failures included, with debug logging on', async () => {
    // One-time: a person pays the checkout.
    const one = await mppFetch(`${d.url}/forecast/1`, {
      fetch: recorded,
      pollInterval: 50,
      onChallenge: (p) => {
        sandbox.pay(String(p.methodDetails.payment_request_id));
        return true;
      },
    });
    expect(one.response.status).toBe(200);
    // A failing handler: the one-time payment is released.
    const failing = await mppFetch(`${d.url}/failing`, {
      fetch: recorded,
      pollInterval: 50,
      onChallenge: (p) => {
        sandbox.pay(String(p.methodDetails.payment_request_id));
        return true;
      },
    });
    expect(failing.response.status).toBe(500);
    // Saved wallet: setup, then charges, one of them refunded by a failing handler.
    const grant = await mppSaveMethod(`${d.url}/hourly/1`, {
      paymentMethod: 'grabpay_direct',
      customerEmail: 'payer@example.com',
      pollInterval: 50,
      fetch: recorded,
      onSetupUrl: (u) => {
        sandbox.approve(new URL(u).pathname.split('/').pop()!);
      },
    });
    handedOut.grant = grant.jws;
    const setupAnswer = exchanges.find((e) => /saved-payment-methods$/.test(e.url) && e.status === 201);
    handedOut.token = JSON.parse(setupAnswer!.body).setup_token;
    for (const zip of ['1', '2']) {
      expect(
        (await mppFetch(`${d.url}/hourly/${zip}`, { fetch: recorded, savedMethodJws: grant.jws })).response
          .status,
      ).toBe(200);
    }
    expect(
      (await mppFetch(`${d.url}/saved-failing`, { fetch: recorded, savedMethodJws: grant.jws })).response
        .status,
    ).toBe(503);
    // HitPay down while a checkout is opened, and while a wallet is charged.
    sandbox.addFault({ method: 'POST', path: '/v1/payment-requests', fault: 'error=503', count: 5 });
    await expect(
      mppFetch(`${d.url}/forecast/2`, { fetch: recorded, onChallenge: () => true }),
    ).rejects.toMatchObject({ code: 'service-unavailable' });
    sandbox.clearFaults();
    sandbox.addFault({
      method: 'POST',
      path: '/v1/charge/recurring-billing/*',
      fault: 'error-after=500',
      count: 1,
    });
    expect(
      (await mppFetch(`${d.url}/hourly/3`, { fetch: recorded, savedMethodJws: grant.jws })).response.status,
    ).toBe(503);
    sandbox.clearFaults();
    await sandbox.webhooksIdle();
    // Hostile input: bad credentials, a forged webhook, a wrong setup token.
    for (const authorization of ['Payment !!!', `Payment ${'A'.repeat(5000)}`, `Bearer ${d.apiKey}`]) {
      await recorded(`${d.url}/forecast/3`, { headers: { authorization } });
    }
    const body = JSON.stringify({ id: 'x', status: 'completed' });
    await recorded(d.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'hitpay-signature': signV2(body, 'not-the-salt') },
      body,
    });
    await recorded(d.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_request_id=x&hmac=00',
    });
    const setupId = JSON.parse(setupAnswer!.body).saved_method_id as string;
    const polling = JSON.parse(setupAnswer!.body).polling_url as string;
    await recorded(polling, { headers: { 'x-setup-token': `${handedOut.token!.slice(0, 10)}wrong` } });
    expect(setupId).toMatch(/^spm_/);
    await d.reconcile();
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.level === 'debug')).toBe(true);
  });

  it('no secret, credential or grant appears in logs, responses or error bodies', () => {
    const secrets: Record<string, string> = {
      'HitPay API key': d.apiKey,
      'API salt': sandbox.business(d.apiKey).salt,
      'webhook salt':
        deployment.name === 'embedded broker'
          ? 'hygiene-webhook-salt-embedded'
          : 'hygiene-webhook-salt-standalone',
      'challenge secret': CHALLENGE_SECRET,
      'broker sealing secret': BROKER_SECRET,
      'private signing key': privateD,
    };
    const credentials = [
      ...new Set(exchanges.map((e) => e.requestAuthorization).filter((a): a is string => !!a)),
    ]
      .filter((a) => /^Payment /.test(a))
      .map((a) => a.slice('Payment '.length));
    expect(credentials.length).toBeGreaterThan(4);
    const logText = logger.text();
    for (const [name, value] of Object.entries(secrets)) {
      expect(logText.includes(value), `${name} in the logs`).toBe(false);
      for (const e of exchanges)
        expect(`${e.headers}\n${e.body}`.includes(value), `${name} in ${e.url}`).toBe(false);
    }
    for (const c of credentials) {
      expect(logText.includes(c), 'a credential in the logs').toBe(false);
      for (const e of exchanges)
        expect(`${e.headers}\n${e.body}`.includes(c), `a credential in ${e.url}`).toBe(false);
    }
    const grantPayload = handedOut.grant!.split('.')[1]!;
    expect(logText.includes(grantPayload), 'the grant in the logs').toBe(false);
    expect(logText.includes(handedOut.token!), 'the setup token in the logs').toBe(false);
    for (const e of exchanges) {
      const text = `${e.headers}\n${e.body}`;
      const isSetup = /saved-payment-methods$/.test(e.url) && e.status === 201;
      const isPoll = /saved-payment-methods\/spm_/.test(e.url) && e.status === 200;
      if (!isPoll) expect(text.includes(grantPayload), `the grant in ${e.url} (${e.status})`).toBe(false);
      if (!isSetup)
        expect(text.includes(handedOut.token!), `the setup token in ${e.url} (${e.status})`).toBe(false);
    }
  });
});

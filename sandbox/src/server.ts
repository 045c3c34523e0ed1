/**
 * `startSandbox`: binds the HTTP server, wires the context (state, clock, webhook queue, faults,
 * counters, state-file saving) and returns a handle with in-process controls that mirror the
 * `/_sandbox` endpoints.
 */
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, businessById, seedBusinesses } from './businesses.js';
import { emptyStats, type SandboxContext, type SandboxStats } from './context.js';
import { SandboxConfigError } from './errors.js';
import { type FaultRule, type FaultRuleInput, FaultRules, parseFaultSpec } from './faults.js';
import { handleRequest } from './http/pipeline.js';
import { resolveSandboxOptions, type SandboxOptions } from './options.js';
import { type PaymentOutcome, settlePaymentRequest } from './resources/payment-outcomes.js';
import { renderPaymentRequest } from './resources/payment-requests.js';
import { decideRecurringBilling, renderRecurringBilling } from './resources/recurring-billing.js';
import { addWebhookEndpoint } from './resources/webhook-events.js';
import { buildRouter } from './routes.js';
import { emptyState, loadState, type SandboxState, saveState } from './state.js';
import { type WebhookDelivery, WebhookDispatcher } from './webhooks/dispatcher.js';
import { EMITTED_EVENTS } from './webhooks/events.js';

/** A business as the handle reports it (the salts are what real HitPay shows in its dashboard). */
export interface SandboxBusinessInfo {
  id: string;
  apiKey: string;
  /** API-key salt: verifies v1 webhooks. */
  salt: string;
  slug: string;
  name: string;
}

/** A registered v2 endpoint with its signing salt. */
export interface SandboxWebhookEndpointInfo {
  id: string;
  url: string;
  eventTypes: string[];
  /** The endpoint's own salt: verifies its `Hitpay-Signature` headers. */
  salt: string;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:53121`; point a HitPay client's `baseUrl` here. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Live data (read-only by convention). */
  readonly state: SandboxState;
  /** Live counters (also `GET /_sandbox/stats`). */
  readonly stats: SandboxStats;
  /** The business for a key (created on first use when `autoCreateBusinesses`). */
  business(apiKey: string): SandboxBusinessInfo;
  /** Registers a v2 endpoint for a business and returns it with its salt. */
  registerWebhookEndpoint(
    apiKey: string,
    endpoint: { url: string; eventTypes?: string[]; name?: string; salt?: string },
  ): SandboxWebhookEndpointInfo;
  /** Pays (or fails) a payment request like the checkout page; returns the GET-shaped object. */
  pay(
    paymentRequestId: string,
    opts?: { status?: PaymentOutcome; paymentMethod?: string; fault?: string },
  ): Record<string, unknown>;
  /** Approves (or declines) a save session like the wallet page; returns the recurring-billing object. */
  approve(
    recurringBillingId: string,
    opts?: { paymentMethod?: string; decline?: boolean; fault?: string },
  ): Record<string, unknown>;
  /** Adds a global fault rule. */
  addFault(rule: FaultRuleInput): FaultRule;
  /** Removes every global fault rule. */
  clearFaults(): void;
  /** The webhook delivery log, oldest first. */
  webhookDeliveries(): WebhookDelivery[];
  /** Resolves when no webhook is queued, in flight or waiting for a retry. */
  webhooksIdle(): Promise<void>;
  /** Moves the sandbox clock forward (expiry). */
  advanceTime(ms: number): void;
  /** Forgets all data, deliveries, faults and counters. */
  reset(): void;
  /** Writes the state file now (no-op without `stateFile`). */
  save(): Promise<void>;
  /** Stops the server, cancels webhook retries, ends hung requests and saves the state. */
  close(): Promise<void>;
}

/**
 * Starts an offline HitPay API emulator.
 *
 * @example
 * const sandbox = await startSandbox({ port: 0 });
 * const res = await fetch(`${sandbox.url}/v1/payment-requests`, {
 *   method: 'POST',
 *   headers: { 'X-BUSINESS-API-KEY': 'test_key', 'Content-Type': 'application/json' },
 *   body: JSON.stringify({ amount: '10.00', currency: 'SGD' }),
 * });
 * await sandbox.close();
 */
export async function startSandbox(userOptions: SandboxOptions = {}): Promise<Sandbox> {
  const options = resolveSandboxOptions(userOptions);
  const state = options.stateFile ? await loadState(options.stateFile) : emptyState();
  let offset = 0;
  let baseUrl = options.publicUrl ?? '';
  const now = () => options.now() + offset;
  const webhooks = new WebhookDispatcher({
    retryDelaysMs: options.webhookRetryDelaysMs,
    timeoutMs: options.webhookTimeoutMs,
    maxLog: options.webhookLogSize,
    now,
  });
  const faults = new FaultRules();
  let stats = emptyStats(webhooks.counters);

  let saveTimer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    const file = options.stateFile;
    if (!file) return saving;
    saving = saving.then(() => saveState(file, state)).catch(options.onError);
    return saving;
  };

  const ctx: SandboxContext = {
    options,
    state,
    webhooks,
    faults,
    get stats() {
      return stats;
    },
    now,
    advanceTime(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advanceTime needs a non-negative duration');
      offset += ms;
    },
    baseUrl: () => baseUrl,
    changed() {
      if (options.stateFile && !saveTimer) {
        saveTimer = setTimeout(() => void save(), 50);
        saveTimer.unref();
      }
    },
    reset() {
      Object.assign(state, emptyState());
      webhooks.reset();
      faults.clear();
      stats = emptyStats(webhooks.counters);
      offset = 0;
      seedBusinesses(ctx);
      seedEndpoints();
      ctx.changed();
    },
  };

  const businessFor = (apiKey: string) => {
    const b = authenticate(ctx, apiKey);
    if (!b)
      throw new SandboxConfigError(
        `unknown API key (configure it, or enable autoCreateBusinesses with a test_ key)`,
      );
    return b;
  };
  const register: Sandbox['registerWebhookEndpoint'] = (apiKey, e) => {
    const created = addWebhookEndpoint(ctx, businessFor(apiKey), {
      name: e.name ?? 'sandbox endpoint',
      url: e.url,
      eventTypes: e.eventTypes ?? [...EMITTED_EVENTS],
      salt: e.salt,
    });
    return { id: created.id, url: created.url, eventTypes: created.eventTypes, salt: created.salt };
  };
  const seedEndpoints = () => {
    for (const e of options.webhookEndpoints) {
      const b = businessFor(e.apiKey);
      const exists = Object.values(state.webhookEndpoints).some(
        (x) => x.businessId === b.id && x.url === e.url,
      );
      if (!exists) register(e.apiKey, e);
    }
  };
  seedBusinesses(ctx);
  seedEndpoints();

  const router = buildRouter();
  const hung = new Set<ServerResponse>();
  const server = http.createServer((req, res) => {
    void handleRequest(ctx, { router, hung, onError: options.onError }, req, res);
  });
  // Requests Node cannot even parse (bad header bytes) still get HitPay's JSON shape.
  server.on('clientError', (_error, socket) => {
    const body = '{"message":"Bad request."}';
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new SandboxConfigError(`cannot listen on ${options.host}:${options.port}`, { cause: error })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  if (!options.publicUrl) baseUrl = url;

  const withFault = (text: string | undefined) => (text ? parseFaultSpec(text) : {});
  let closed = false;

  return {
    url,
    port: address.port,
    host: address.address,
    state,
    get stats() {
      return stats;
    },
    business(apiKey) {
      const b = businessFor(apiKey);
      return { id: b.id, apiKey: b.apiKey, salt: b.salt, slug: b.slug, name: b.name };
    },
    registerWebhookEndpoint: register,
    pay(id, opts = {}) {
      const pr = state.paymentRequests[id];
      if (!pr) throw new RangeError(`no payment request ${id}`);
      const business = businessById(ctx, pr.businessId)!;
      const fault = withFault(opts.fault);
      const settled = settlePaymentRequest(ctx, business, pr, {
        outcome: opts.status ?? 'completed',
        paymentMethod: opts.paymentMethod,
        statusLag: fault.statusLag,
      });
      webhooks.dispatch(settled.webhooks, fault);
      return renderPaymentRequest(ctx, business, pr);
    },
    approve(id, opts = {}) {
      const rb = state.recurringBillings[id];
      if (!rb) throw new RangeError(`no recurring billing ${id}`);
      const result = decideRecurringBilling(ctx, rb, {
        approve: !opts.decline,
        paymentMethod: opts.paymentMethod,
      });
      webhooks.dispatch(result.webhooks, withFault(opts.fault));
      return renderRecurringBilling(ctx, rb);
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    webhookDeliveries: () => webhooks.list(),
    webhooksIdle: () => webhooks.idle(),
    advanceTime: (ms) => ctx.advanceTime(ms),
    reset: () => ctx.reset(),
    save,
    async close() {
      if (closed) return;
      closed = true;
      webhooks.reset();
      for (const res of hung) res.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await save();
    },
  };
}

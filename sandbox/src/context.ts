/**
 * What every handler receives: the sandbox context (options, state, clock, webhook queue, faults,
 * counters) and the decoded request. Handlers return a {@link Reply} and queue webhooks through
 * `emit`; the server sends them after the reply so fault injection can act on both.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FaultRules, FaultSpec } from './faults.js';
import type { Reply } from './http/reply.js';
import type { ResolvedSandboxOptions } from './options.js';
import type { BusinessRecord, SandboxState } from './state.js';
import type { Input } from './validation.js';
import type { OutgoingWebhook, WebhookCounters, WebhookDispatcher } from './webhooks/dispatcher.js';

/** Counters other tests assert on; see `GET /_sandbox/stats`. */
export interface SandboxStats {
  /** Every HTTP request received, including pages and `/_sandbox` calls. */
  requests: number;
  /** Requests refused with 401. */
  unauthenticated: number;
  /** Calls per route, keyed `"<METHOD> <pattern>"`, e.g. `"POST /v1/payment-requests"`. */
  calls: Record<string, number>;
  /** Resources created successfully. */
  created: {
    paymentRequests: number;
    recurringBillings: number;
    charges: number;
    refunds: number;
    webhookEndpoints: number;
  };
  /** Payment outcomes (checkout page or `/_sandbox/…/pay`), and saved-method approvals. */
  outcomes: { completed: number; failed: number; approved: number; declined: number };
  /** Requests on which a fault (header or rule) was applied. */
  faultsApplied: number;
  webhooks: WebhookCounters;
}

/** Zeroed counters. */
export function emptyStats(webhooks: WebhookCounters): SandboxStats {
  return {
    requests: 0,
    unauthenticated: 0,
    calls: {},
    created: { paymentRequests: 0, recurringBillings: 0, charges: 0, refunds: 0, webhookEndpoints: 0 },
    outcomes: { completed: 0, failed: 0, approved: 0, declined: 0 },
    faultsApplied: 0,
    webhooks,
  };
}

/** Shared services of one running sandbox. */
export interface SandboxContext {
  readonly options: ResolvedSandboxOptions;
  /** Mutated in place (a reset empties the collections but keeps the object). */
  readonly state: SandboxState;
  readonly webhooks: WebhookDispatcher;
  readonly faults: FaultRules;
  readonly stats: SandboxStats;
  /** The sandbox clock: the configured `now` plus any `advanceTime` offset. */
  now(): number;
  /** Moves the sandbox clock forward. */
  advanceTime(ms: number): void;
  /** Base URL for links in responses, without a trailing slash. */
  baseUrl(): string;
  /** Marks the state dirty so it is saved to the state file soon. */
  changed(): void;
  /** Forgets all data, deliveries, faults and counters (configured businesses are re-seeded). */
  reset(): void;
}

/** A decoded request as handlers see it. */
export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Input;
  readonly body: Input;
  readonly headers: IncomingHttpHeaders;
  /** The authenticated business on API-key routes; undefined on public routes. */
  readonly business: BusinessRecord | undefined;
  /** Faults in force for this request (header merged over a matching global rule). */
  readonly fault: FaultSpec;
  /** Queues webhooks to send once the reply is written. */
  emit(webhooks: readonly OutgoingWebhook[]): void;
}

/** A route handler. */
export type Handler = (ctx: SandboxContext, req: SandboxRequest) => Reply | Promise<Reply>;

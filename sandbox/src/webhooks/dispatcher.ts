/**
 * Webhook delivery: each delivery is POSTed with its exact bytes, retried on a non-2xx answer or a
 * network error along a configurable schedule, and logged with every attempt. The deliveries one
 * request triggers go out in order (HitPay promises no order; tests want determinism unless they
 * ask for a `reorder` fault), and webhook faults drop, duplicate, delay or reverse them.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { FaultSpec } from '../faults.js';

/** One HTTP attempt of a delivery. */
export interface DeliveryAttempt {
  /** Epoch milliseconds when the attempt started. */
  at: number;
  /** HTTP status received, or null on a network error or timeout. */
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** Delivery states: `pending` until delivered, given up on (`failed`), or `dropped` by a fault. */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'dropped';

/** A webhook to send, as the event code builds it. */
export interface OutgoingWebhook {
  version: 'v1' | 'v2';
  /** Event name, e.g. `payment_request.completed` (v1 deliveries use the same names). */
  event: string;
  url: string;
  /** The v2 endpoint it is for; null for v1 (per-request `webhook` URL) deliveries. */
  endpointId: string | null;
  businessId: string;
  headers: Record<string, string>;
  body: string;
}

/** A logged delivery. */
export interface WebhookDelivery extends OutgoingWebhook {
  id: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  createdAt: number;
  /** Set on the extra copy a `duplicate` fault sends. */
  duplicateOf: string | null;
}

/** Dispatcher settings (resolved sandbox options). */
export interface DispatcherOptions {
  /** Delay before each retry; attempts = length + 1. */
  retryDelaysMs: readonly number[];
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Deliveries kept in the log (oldest are forgotten first). */
  maxLog: number;
  now(): number;
}

/** Counters of delivery outcomes. */
export interface WebhookCounters {
  queued: number;
  attempts: number;
  delivered: number;
  failed: number;
  dropped: number;
  duplicated: number;
}

const zeroCounters = (): WebhookCounters => ({
  queued: 0,
  attempts: 0,
  delivered: 0,
  failed: 0,
  dropped: 0,
  duplicated: 0,
});

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? https.request : http.request;
    // agent:false: no pooled keep-alive sockets outliving a test's listener.
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The delivery queue and its log; see the module comment. */
export class WebhookDispatcher {
  private log: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private generation = 0;
  counters: WebhookCounters = zeroCounters();

  constructor(private readonly options: DispatcherOptions) {}

  /** Queues the webhooks one request triggered, applying that request's webhook faults. */
  dispatch(batch: readonly OutgoingWebhook[], fault: FaultSpec = {}): WebhookDelivery[] {
    const affected = (d: OutgoingWebhook) =>
      !fault.webhookOnly || fault.webhookOnly === d.version || fault.webhookOnly === d.event;
    const faulted = fault.webhook !== undefined || fault.webhookDelayMs !== undefined;
    let list: WebhookDelivery[] = [];
    for (const out of batch) {
      const d = this.record(out, null);
      list.push(d);
      if (fault.webhook === 'duplicate' && affected(out)) {
        list.push(this.record(out, d.id));
        this.counters.duplicated++;
      }
    }
    if (fault.webhook === 'drop') {
      for (const d of list) {
        if (!affected(d)) continue;
        d.state = 'dropped';
        this.counters.dropped++;
      }
    }
    if (fault.webhook === 'reorder') {
      const picked = list.filter(affected).reverse();
      list = list.map((d) => (affected(d) ? picked.shift()! : d));
    }
    const live = list.filter((d) => d.state === 'pending');
    this.inFlight += live.length;
    this.counters.queued += live.length;
    const delayed = faulted && fault.webhookDelayMs ? live.filter(affected) : [];
    void this.sequence(
      live.filter((d) => !delayed.includes(d)),
      0,
    );
    if (delayed.length > 0) void this.sequence(delayed, fault.webhookDelayMs!);
    return list;
  }

  /** Sends a logged delivery again (a fresh series of attempts). */
  redeliver(id: string): WebhookDelivery | undefined {
    const d = this.log.find((x) => x.id === id);
    if (!d) return undefined;
    if (d.state !== 'pending') {
      d.state = 'pending';
      this.inFlight++;
      this.counters.queued++;
      void this.sequence([d], 0);
    }
    return d;
  }

  /** The log, newest last. */
  list(): WebhookDelivery[] {
    return [...this.log];
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels every pending attempt and forgets the log and counters. */
  reset(): void {
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.log = [];
    this.counters = zeroCounters();
    this.inFlight = 0;
    this.wake();
  }

  private record(out: OutgoingWebhook, duplicateOf: string | null): WebhookDelivery {
    const d: WebhookDelivery = {
      ...out,
      headers: { ...out.headers },
      id: randomUUID(),
      state: 'pending',
      attempts: [],
      createdAt: this.options.now(),
      duplicateOf,
    };
    this.log.push(d);
    if (this.log.length > this.options.maxLog) this.log.splice(0, this.log.length - this.options.maxLog);
    return d;
  }

  private async sequence(list: WebhookDelivery[], delayMs: number): Promise<void> {
    const gen = this.generation;
    if (delayMs > 0) await this.sleep(delayMs);
    for (const d of list) {
      if (gen !== this.generation) return;
      await this.attempt(d, gen);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.timers.add(t);
    });
  }

  private async attempt(d: WebhookDelivery, gen: number): Promise<void> {
    const started = Date.now();
    const attempt: DeliveryAttempt = { at: this.options.now(), status: null, error: null, durationMs: 0 };
    try {
      attempt.status = await post(d.url, d.headers, d.body, this.options.timeoutMs);
    } catch (error) {
      attempt.error = error instanceof Error ? error.message : String(error);
    }
    if (gen !== this.generation) return;
    attempt.durationMs = Date.now() - started;
    d.attempts.push(attempt);
    this.counters.attempts++;
    if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) {
      d.state = 'delivered';
      this.counters.delivered++;
      this.settle();
      return;
    }
    const retryIndex = d.attempts.length - 1;
    const delay = this.options.retryDelaysMs[retryIndex];
    if (delay === undefined) {
      d.state = 'failed';
      this.counters.failed++;
      this.settle();
      return;
    }
    void this.sleep(delay).then(() => (gen === this.generation ? this.attempt(d, gen) : undefined));
  }

  private settle(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight === 0) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Fault injection. A fault is described by a short directive list, the same whether it arrives in
 * the `X-Sandbox-Fault` request header or in a global rule posted to `/_sandbox/faults`:
 *
 *     error=503, latency=200, webhook=duplicate, webhook-only=v2
 *
 * Directives are separated by `,` or `;`; see {@link FaultSpec} for each one.
 */
import { randomUUID } from 'node:crypto';
import { refused } from './errors.js';

/** What a webhook fault does to the deliveries a request triggers. */
export type WebhookFaultMode = 'drop' | 'duplicate' | 'reorder';

/** How an insufficient-funds decline of a saved-method charge is answered. */
export type InsufficientFundsMode = 'failed' | '422' | '400';

/** The parsed form of a fault directive list. Every field is optional; `{}` is "no fault". */
export interface FaultSpec {
  /** `error=503`: answer with this status and HitPay's error body before doing any work. */
  error?: number;
  /** `error-after=503`: do the work (side effects happen), then answer with this status instead. */
  errorAfter?: number;
  /** `latency=250`: wait this many milliseconds before handling the request. */
  latencyMs?: number;
  /** `latency-after=1000`: do the work (webhooks leave at once), then wait this long before answering. */
  latencyAfterMs?: number;
  /** `hang`: never answer (until the client gives up or `hangMs` passes); nothing is done. */
  hang?: boolean;
  /** `hang-after`: do the work, then never answer: the client's timeout hides a real side effect. */
  hangAfter?: boolean;
  /** `webhook=drop|duplicate|reorder`: lose, send twice, or send in reverse order the webhooks triggered. */
  webhook?: WebhookFaultMode;
  /** `webhook-delay=500`: hold the triggered webhooks this long (lets a later event overtake them). */
  webhookDelayMs?: number;
  /** `webhook-only=v1|v2|<event name>`: limit the webhook faults to these deliveries. */
  webhookOnly?: string;
  /** `status-lag` / `status-lag=N`: after paying, GET keeps showing `pending` (N reads, or always). */
  statusLag?: number;
  /** `insufficient-funds[=failed|422|400]`: decline a saved-method charge (default mode from options). */
  insufficientFunds?: InsufficientFundsMode | 'default';
}

const MAX_DELAY_MS = 10 * 60_000;

function ms(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n > MAX_DELAY_MS) {
    throw refused(400, `Sandbox fault "${name}" needs a duration in milliseconds (0-${MAX_DELAY_MS}).`);
  }
  return n;
}

function statusCode(name: string, value: string | undefined): number {
  const n = Number(value ?? '500');
  if (!/^\d{3}$/.test(value ?? '500') || n < 400 || n > 599) {
    throw refused(400, `Sandbox fault "${name}" needs an HTTP status between 400 and 599.`);
  }
  return n;
}

/** Parses a directive list; unknown directives are a 400 so typos never pass silently. */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = {};
  for (const item of text.split(/[,;]/)) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const name = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : trimmed.slice(eq + 1).trim();
    switch (name) {
      case 'error':
        spec.error = statusCode(name, value);
        break;
      case 'error-after':
        spec.errorAfter = statusCode(name, value);
        break;
      case 'latency':
        spec.latencyMs = ms(name, value);
        break;
      case 'latency-after':
        spec.latencyAfterMs = ms(name, value);
        break;
      case 'hang':
      case 'timeout':
        spec.hang = true;
        break;
      case 'hang-after':
      case 'timeout-after':
        spec.hangAfter = true;
        break;
      case 'webhook':
        if (value !== 'drop' && value !== 'duplicate' && value !== 'reorder') {
          throw refused(400, 'Sandbox fault "webhook" must be drop, duplicate or reorder.');
        }
        spec.webhook = value;
        break;
      case 'webhook-delay':
        spec.webhookDelayMs = ms(name, value);
        break;
      case 'webhook-only':
        if (!value) throw refused(400, 'Sandbox fault "webhook-only" needs v1, v2 or an event name.');
        spec.webhookOnly = value;
        break;
      case 'status-lag':
        if (value !== undefined && !/^\d{1,6}$/.test(value)) {
          throw refused(400, 'Sandbox fault "status-lag" takes an optional number of reads.');
        }
        spec.statusLag = value === undefined ? -1 : Number(value);
        break;
      case 'insufficient-funds':
        if (value !== undefined && value !== 'failed' && value !== '422' && value !== '400') {
          throw refused(400, 'Sandbox fault "insufficient-funds" must be failed, 422 or 400.');
        }
        spec.insufficientFunds = value ?? 'default';
        break;
      default:
        throw refused(400, `Unknown sandbox fault "${name}".`);
    }
  }
  return spec;
}

/** Formats a spec back into its directive list (for logs and `GET /_sandbox/faults`). */
export function formatFaultSpec(spec: FaultSpec): string {
  const parts: string[] = [];
  if (spec.error !== undefined) parts.push(`error=${spec.error}`);
  if (spec.errorAfter !== undefined) parts.push(`error-after=${spec.errorAfter}`);
  if (spec.latencyMs !== undefined) parts.push(`latency=${spec.latencyMs}`);
  if (spec.latencyAfterMs !== undefined) parts.push(`latency-after=${spec.latencyAfterMs}`);
  if (spec.hang) parts.push('hang');
  if (spec.hangAfter) parts.push('hang-after');
  if (spec.webhook) parts.push(`webhook=${spec.webhook}`);
  if (spec.webhookDelayMs !== undefined) parts.push(`webhook-delay=${spec.webhookDelayMs}`);
  if (spec.webhookOnly) parts.push(`webhook-only=${spec.webhookOnly}`);
  if (spec.statusLag !== undefined)
    parts.push(spec.statusLag < 0 ? 'status-lag' : `status-lag=${spec.statusLag}`);
  if (spec.insufficientFunds) {
    parts.push(
      spec.insufficientFunds === 'default'
        ? 'insufficient-funds'
        : `insufficient-funds=${spec.insufficientFunds}`,
    );
  }
  return parts.join(', ');
}

/** A global fault rule: applies to matching requests until its count runs out. */
export interface FaultRule {
  readonly id: string;
  /** HTTP method to match, or `*` (the default). */
  readonly method: string;
  /** Path to match: exact, or with `*` standing for any run of characters (`/v1/payment-requests*`). */
  readonly path: string;
  readonly fault: FaultSpec;
  /** Matches left; `null` means unlimited. */
  remaining: number | null;
}

/** What a caller supplies to add a rule. */
export interface FaultRuleInput {
  method?: string;
  path?: string;
  /** Directive list or parsed spec. */
  fault: string | FaultSpec;
  /** How many requests it applies to (default 1; `null` or 0 for unlimited). */
  count?: number | null;
}

const globToRegex = (glob: string) =>
  new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** The global rule list, consumed in insertion order; the first matching rule applies. */
export class FaultRules {
  private rules: { rule: FaultRule; regex: RegExp }[] = [];

  /** Adds a rule and returns it. */
  add(input: FaultRuleInput): FaultRule {
    const fault = typeof input.fault === 'string' ? parseFaultSpec(input.fault) : { ...input.fault };
    const count = input.count === undefined ? 1 : input.count;
    const rule: FaultRule = {
      id: randomUUID(),
      method: (input.method ?? '*').toUpperCase(),
      path: input.path ?? '*',
      fault,
      remaining: count === null || count === 0 ? null : count,
    };
    this.rules.push({ rule, regex: globToRegex(rule.path) });
    return rule;
  }

  /** Finds and consumes the first rule matching this request. */
  take(method: string, path: string): FaultSpec | undefined {
    const m = method.toUpperCase();
    const hit = this.rules.find(
      ({ rule, regex }) => (rule.method === '*' || rule.method === m) && regex.test(path),
    );
    if (!hit) return undefined;
    if (hit.rule.remaining !== null && --hit.rule.remaining <= 0) this.remove(hit.rule.id);
    return hit.rule.fault;
  }

  /** Removes one rule; false when there was none with that id. */
  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.rule.id !== id);
    return this.rules.length < before;
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = [];
  }

  /** The active rules. */
  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }
}

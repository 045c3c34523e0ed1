import {
  type Challenge,
  type Credential,
  formatCredential,
  PAYMENT_AUTHORIZATION,
  parseCredential,
} from '@hit-pay/mpp/protocol';
import { challengeIssues, challengesOf } from './challenge-rules.js';
import { jsonBody, problemType, type RawRequest, type RawResponse, sendRaw } from './http.js';
import { Failure, Skip } from './scenario.js';

/** Where and how `mpp test` talks to the server under test. */
export interface ProbeOptions {
  /** The protected URL. */
  url: URL;
  /** Its HTTP method (default GET). */
  method?: string;
  body?: Buffer;
  /** Headers every request carries (the app's own authentication, `x-user-email`…). */
  headers?: Record<string, string>;
  /** The HitPay sandbox the server is wired to: payments become possible. */
  sandbox?: string;
  /** Another protected route of the same server (route pinning, R41). */
  route?: URL;
  /** Copies of one credential sent at once (R32). */
  concurrency?: number;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
}

/** What one request sent and got back. */
export interface Exchange {
  label: string;
  request: RawRequest;
  res: RawResponse;
  /** The id of the challenge the request's credential answered, when it carried one. */
  answered?: string;
}

/** The request field a credential travels in (-01 adds Payment-Authorization). */
export type CredentialField = 'authorization' | 'payment-authorization';

/** Rules checked on every response of a run; each keeps what broke it, by request label. */
export const EVERY_RESPONSE = {
  R2: 'every 402 carries a Payment challenge',
  R3: 'every 402 is Cache-Control: no-store',
  R16: 'every 402 is an RFC 9457 problem document',
  R37: 'every refusal carries a fresh, usable challenge',
  R45: 'only 2xx responses carry a Payment-Receipt',
  R44: 'responses with a receipt are never shared-cached',
  R48: 'credentials never show up in a response',
} as const;
/** A rule of {@link EVERY_RESPONSE}, by its requirement id. */
export type EveryResponseRule = keyof typeof EVERY_RESPONSE;

/** Problems that say a challenge was not accepted as this server's: an unusable challenge. */
const UNUSABLE = new Set([
  'invalid-challenge',
  'malformed-credential',
  'payment-expired',
  'method-unsupported',
]);

/**
 * The state of one `mpp test` run: sends requests, checks the rules every response must follow,
 * builds credentials from challenges, and remembers what broke.
 */
export class Probe {
  readonly url: URL;
  readonly method: string;
  readonly body: Buffer | undefined;
  readonly headers: Record<string, string>;
  readonly sandbox: string | undefined;
  readonly route: URL | undefined;
  readonly concurrency: number;
  private readonly timeoutMs: number;
  /** Violations of {@link EVERY_RESPONSE} rules, by rule. */
  readonly violations = new Map<EveryResponseRule, string[]>();
  /** How many responses and refusals were checked. */
  readonly counts = { responses: 0, refusals: 0, receipts: 0 };
  /** The first unpaid response (the 402 everything starts from). */
  first: Exchange | undefined;

  constructor(options: ProbeOptions) {
    this.url = options.url;
    this.method = (options.method ?? 'GET').toUpperCase();
    this.body = options.body;
    this.headers = options.headers ?? {};
    this.sandbox = options.sandbox?.replace(/\/+$/, '');
    this.route = options.route;
    this.concurrency = options.concurrency ?? 20;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  private violate(rule: EveryResponseRule, what: string): void {
    const list = this.violations.get(rule) ?? [];
    list.push(what);
    this.violations.set(rule, list);
  }

  /**
   * Sends the target request with changes (`credential` goes in `field`, default the one the
   * credential's challenge selects) and checks the rules every response must follow.
   */
  async send(
    label: string,
    change: {
      url?: URL;
      method?: string;
      body?: Buffer | null;
      headers?: Record<string, string | string[]>;
      credential?: string;
      field?: CredentialField;
    } = {},
  ): Promise<Exchange> {
    const headers: Record<string, string | string[]> = { ...this.headers, ...change.headers };
    let answered: string | undefined;
    if (change.credential !== undefined) {
      let echo: Credential['challenge'] | undefined;
      try {
        echo = parseCredential(change.credential).challenge;
        answered = echo.id;
      } catch {
        // A deliberately malformed credential answers no challenge.
      }
      const field =
        change.field ?? (echo?.header === PAYMENT_AUTHORIZATION ? 'payment-authorization' : 'authorization');
      headers[field] = change.credential;
    }
    const body = change.body === null ? undefined : (change.body ?? this.body);
    const request: RawRequest = {
      method: change.method ?? this.method,
      url: change.url ?? this.url,
      headers,
      ...(body ? { body } : {}),
      timeoutMs: this.timeoutMs,
    };
    const res = await sendRaw(request);
    this.checkResponse(label, request, res, change.credential);
    return { label, request, res, ...(answered ? { answered } : {}) };
  }

  private checkResponse(label: string, request: RawRequest, res: RawResponse, credential?: string): void {
    this.counts.responses++;
    const cacheControl = res.header('cache-control') ?? '';
    if (res.status === 402) {
      if (challengesOf(res).length === 0) this.violate('R2', `${label}: a 402 without a Payment challenge`);
      if (!/(^|,)\s*no-store\s*(,|$)/i.test(cacheControl))
        this.violate('R3', `${label}: Cache-Control "${cacheControl}"`);
      if (!/^application\/problem\+json/i.test(res.header('content-type') ?? ''))
        this.violate('R16', `${label}: Content-Type "${res.header('content-type') ?? ''}"`);
      else if (request.method !== 'HEAD') {
        const body = jsonBody(res);
        if (body?.status !== 402) this.violate('R16', `${label}: problem status ${String(body?.status)}`);
        if (typeof body?.type !== 'string' || !body.type.startsWith('https://paymentauth.org/problems/'))
          this.violate('R16', `${label}: problem type ${String(body?.type)}`);
      }
    }
    if (res.header('payment-receipt') !== undefined) {
      this.counts.receipts++;
      if (res.status < 200 || res.status >= 300)
        this.violate('R45', `${label}: a receipt on a ${res.status}`);
      if (!/(^|,)\s*(private|no-store)\s*(,|$)/i.test(cacheControl))
        this.violate('R44', `${label}: a receipt with Cache-Control "${cacheControl}"`);
    }
    const token = credential?.replace(/^payment\s+/i, '');
    if (token && token.length >= 16) {
      const text = res.lines.map(([n, v]) => `${n}: ${v}`).join('\n') + res.body.toString('latin1');
      if (text.includes(token)) this.violate('R48', `${label}: the credential is echoed`);
    }
  }

  /** A fresh 402 for the target; its preferred challenge (hitpay first, as the CLI pays it). */
  async challenge(label = 'a fresh 402', url?: URL): Promise<Challenge> {
    const x = await this.send(label, url ? { url } : {});
    const list = challengesOf(x.res);
    if (x.res.status !== 402 || list.length === 0)
      throw new Failure(`${label}: got ${x.res.status}${list.length ? '' : ' without a Payment challenge'}`);
    return list.find((c) => c.method === 'hitpay') ?? list[0]!;
  }

  /**
   * A credential answering `challenge`, its echo changed by `tamper` (`null` drops a member).
   * The default payload is a well-formed HitPay proof of nothing paid, so that bound members are
   * what the server refuses.
   */
  credential(
    challenge: Challenge,
    tamper: Record<string, string | null> = {},
    payload: Record<string, unknown> = { payment_request_id: 'mpp-test-unpaid' },
  ): string {
    const echo: Record<string, unknown> = { ...challenge };
    for (const [k, v] of Object.entries(tamper)) {
      if (v === null) delete echo[k];
      else echo[k] = v;
    }
    return formatCredential({ challenge: echo, payload } as Credential);
  }

  /**
   * Checks a refusal: the status, the problem type, a challenge on a 402 (R2) — and, on the side,
   * that the refusal's challenge is fresh and usable (R37): well-formed, not the refused challenge
   * when that one is `spent` (it paid already), and answering it is not refused as foreign.
   * Returns the issues for the scenario.
   */
  async refusal(
    x: Exchange,
    problems: string | readonly string[],
    status = 402,
    spent = false,
  ): Promise<string[]> {
    const want = typeof problems === 'string' ? [problems] : problems;
    const got = problemType(x.res);
    const issues: string[] = [];
    if (x.res.status !== status)
      issues.push(`${x.label}: ${x.res.status}${got ? ` ${got}` : ''}, not ${status} ${want.join('/')}`);
    else if (x.request.method !== 'HEAD' && !want.includes(got ?? ''))
      issues.push(`${x.label}: problem ${got ?? '(none)'}, not ${want.join('/')}`);
    if (x.res.status === 402) {
      if (challengesOf(x.res).length === 0) issues.push(`${x.label}: a 402 without a challenge (R2)`);
      else if (got !== 'payment-required') await this.checkFresh(x, got, spent);
    }
    return issues;
  }

  private async checkFresh(x: Exchange, got: string | undefined, spent: boolean): Promise<void> {
    this.counts.refusals++;
    // What the first 402 already breaks has its own row; only new breakage makes a refusal unusable.
    const known = new Set(this.first ? challengeIssues(this.first.res) : []);
    const broken = challengeIssues(x.res).filter((issue) => !known.has(issue));
    if (broken.length) this.violate('R37', `${x.label}: ${broken[0]}`);
    const challenge = challengesOf(x.res).find((c) => c.method === 'hitpay') ?? challengesOf(x.res)[0]!;
    // Re-issuing a still valid challenge is fine (a pending payment does it by design, hitpay §6;
    // route-level challenges repeat within a second); re-issuing one that already paid is not.
    if (spent && x.answered === challenge.id && got !== 'payment-action-required')
      this.violate('R37', `${x.label}: re-issues the challenge that already paid`);
    if (x.request.method === 'HEAD' || broken.length) return;
    // An empty payload fails the payload schema; anything refusing the challenge itself is caught.
    const answer = await this.send(`${x.label} → answering its challenge`, {
      url: x.request.url,
      method: x.request.method,
      body: x.request.body ?? null,
      credential: this.credential(challenge, {}, {}),
    });
    const problem = problemType(answer.res);
    if (answer.res.status >= 200 && answer.res.status < 300)
      this.violate('R37', `${x.label}: its challenge with an empty proof got ${answer.res.status} (R29)`);
    else if (UNUSABLE.has(problem ?? ''))
      this.violate('R37', `${x.label}: its challenge is refused as ${problem}`);
  }

  /** Skips unless the CLI can pay (`--sandbox`) a one-time `hitpay` challenge of the target. */
  requirePayment(): void {
    if (!this.sandbox)
      throw new Skip('needs a payment: give --sandbox <url> (the HitPay sandbox the server uses)');
    const offered = this.first ? challengesOf(this.first.res) : [];
    if (!offered.some((c) => c.method === 'hitpay'))
      throw new Skip(`the CLI pays hitpay challenges; offered: ${offered.map((c) => c.method).join(', ')}`);
  }
}

import type { Server } from 'node:http';
import {
  base64url,
  type Challenge,
  type Credential,
  contentDigest,
  formatCredential,
  isSuccessReceipt,
  parseReceipt,
} from '@hit-pay/mpp/protocol';
import type { Sandbox } from '@hit-pay/mpp-sandbox';
import { expect } from 'vitest';
import { checkChallenges, checkInvariants, checkResourceBoundary, protectedRouteOf } from './checks.js';
import type { ContextState } from './context.js';
import { checkSignedReceipt, payHitPay, sandboxSince } from './hitpay-profile.js';
import { type RawRequest, type RawResponse, send } from './http-client.js';
import { PROTECTED_ROUTES } from './routes.js';
import type { CredentialSpec, Expectation, HeaderRule, Scenario, Step } from './vectors.js';

/** What the runner remembers of each step, for later steps to build credentials from. */
interface StepRecord {
  challenges: Challenge[];
  credential?: SentCredential;
}

interface SentCredential {
  value: string;
  /** The challenge it answers (absent for raw and malformed credentials). */
  challenge?: Challenge;
}

function latestWithChallenges(history: readonly StepRecord[]): number {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.challenges.length > 0) return i;
  throw new Error('no earlier step received a challenge to answer');
}

function pickChallenge(list: readonly Challenge[], which: number | string = 0): Challenge {
  const c = typeof which === 'number' ? list[which] : list.find((x) => x.method === which);
  if (!c) throw new Error(`the referenced step has no challenge ${JSON.stringify(which)}`);
  return c;
}

/** Builds the credential a step asks for: literal, reused, or an answer to an earlier challenge. */
async function buildCredential(
  spec: CredentialSpec,
  index: number,
  history: readonly StepRecord[],
  state: ContextState,
): Promise<SentCredential> {
  if (spec.reuse !== undefined) {
    const sent = history[spec.reuse]?.credential;
    if (!sent) throw new Error(`step ${spec.reuse + 1} sent no credential to reuse`);
    return sent;
  }
  if (spec.raw !== undefined) return { value: spec.raw.padEnd(spec.padTo ?? 0, 'A') };
  if (spec.base64url !== undefined) return { value: `Payment ${base64url.encode(spec.base64url)}` };
  const challenge = pickChallenge(
    history[spec.from ?? latestWithChallenges(history)]!.challenges,
    spec.challenge,
  );
  const echo: Record<string, unknown> = { ...challenge };
  for (const [k, v] of Object.entries(spec.tamper ?? {})) {
    if (v === null) delete echo[k];
    else echo[k] = v;
  }
  const payload: Record<string, unknown> = {
    ...(spec.pay !== undefined
      ? await payHitPay(challenge, spec.pay, (state as ContextState & { sandbox: Sandbox }).sandbox)
      : (spec.payload ?? { proof: `ok-${index + 1}` })),
  };
  const credential: Record<string, unknown> = { challenge: echo, payload };
  if (spec.unknownMembers) {
    credential['x-unknown'] = { nested: true };
    echo['x-unknown'] = 'ignored';
    payload['x-unknown'] = 1;
  }
  const format = () => formatCredential(credential as unknown as Credential);
  let value = format();
  if (spec.padTo !== undefined && value.length < spec.padTo) {
    payload.padding = 'p'.repeat(Math.ceil(((spec.padTo - value.length) * 3) / 4) + 8);
    value = format();
  }
  return { value, challenge: echo as Challenge };
}

async function buildRequest(step: Step, index: number, history: readonly StepRecord[], state: ContextState) {
  const spec = step.request;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: Buffer | undefined;
  if (spec.json !== undefined) {
    body = Buffer.from(JSON.stringify(spec.json));
    headers['content-type'] ??= 'application/json';
  } else if (spec.body !== undefined) body = Buffer.from(spec.body);
  const credential = spec.credential && (await buildCredential(spec.credential, index, history, state));
  if (credential && spec.credential) {
    const field = spec.credential.field ?? 'authorization';
    const dup = spec.credential.duplicate;
    headers[field] = dup === 'same-line' ? `${credential.value}, ${credential.value}` : credential.value;
    if (dup === field) headers[field] = [credential.value, credential.value];
    else if (dup && dup !== 'same-line') headers[dup] = credential.value;
  }
  const raw: RawRequest = { method: spec.method ?? 'GET', path: spec.path, headers, body };
  return { raw, credential };
}

function checkHeader(res: RawResponse, name: string, rule: HeaderRule): void {
  const value = res.header(name);
  const what = `header ${name}`;
  if (rule.present === false) {
    expect(value, `${what} is absent`).toBeUndefined();
    return;
  }
  expect(value, `${what} is present`).toBeDefined();
  if (rule.equals !== undefined) expect(value, what).toBe(rule.equals);
  for (const item of rule.contains ?? []) expect(value!.toLowerCase(), what).toContain(item.toLowerCase());
  if (rule.matches !== undefined) expect(value, what).toMatch(new RegExp(rule.matches, 'i'));
}

function checkStatus(res: RawResponse, status: Expectation['status']): void {
  if (status === undefined) return;
  if (Array.isArray(status))
    expect(status, `status ${res.status} is one of ${status.join('/')}`).toContain(res.status);
  else expect(res.status, 'status').toBe(status);
}

function checkChallengeRule(
  rule: NonNullable<Expectation['challenges']>,
  challenges: readonly Challenge[],
  body: Buffer | undefined,
  history: readonly StepRecord[],
): void {
  if (rule.count !== undefined) expect(challenges.length, 'number of challenges').toBe(rule.count);
  if (rule.methods)
    expect(
      challenges.map((c) => c.method),
      'challenge methods, in order',
    ).toEqual(rule.methods);
  if (rule.sameAs !== undefined) {
    expect(challenges[0]?.id, 'the same challenge is re-issued').toBe(
      history[rule.sameAs]?.challenges[0]?.id,
    );
  }
  for (const c of challenges) {
    if (rule.header !== undefined)
      expect(c.header, 'challenge header parameter').toBe(rule.header ?? undefined);
    const request = JSON.parse(base64url.decodeText(c.request)) as Record<string, unknown>;
    if (rule.amount !== undefined) expect(request.amount, 'challenge amount').toBe(rule.amount);
    if (rule.currency !== undefined) expect(request.currency, 'challenge currency').toBe(rule.currency);
    if (rule.digestOfBody === true) expect(c.digest, 'digest of the body (R11)').toBe(contentDigest(body!));
    if (rule.digestOfBody === false) expect(c.digest, 'no digest without a body').toBeUndefined();
  }
}

function checkReceipt(res: RawResponse, wanted: boolean, credential: SentCredential | undefined): void {
  const header = res.header('payment-receipt');
  if (!wanted) {
    expect(header, 'no Payment-Receipt').toBeUndefined();
    return;
  }
  expect(header, 'a Payment-Receipt (R42)').toBeDefined();
  const receipt = parseReceipt(header!);
  expect(isSuccessReceipt(receipt), 'the receipt has status, method, timestamp, reference (R43)').toBe(true);
  if (credential?.challenge) {
    expect(receipt.method, 'receipt method (R43)').toBe(credential.challenge.method);
    expect(receipt.challengeId, 'receipt challengeId').toBe(credential.challenge.id);
  }
}

function checkBody(res: RawResponse, rule: NonNullable<Expectation['body']>): void {
  if (rule.text !== undefined) expect(res.body.toString('utf8'), 'body').toBe(rule.text);
  if (rule.json !== undefined) {
    const parsed: unknown = JSON.parse(res.body.toString('utf8'));
    if (typeof rule.json === 'object' && rule.json !== null) expect(parsed, 'body').toMatchObject(rule.json);
    else expect(parsed, 'body').toEqual(rule.json);
  }
}

async function checkCounters(state: ContextState, expectation: Expectation): Promise<void> {
  for (const [key, count] of Object.entries(expectation.runs ?? {})) {
    const actual =
      key === '*'
        ? Object.keys(PROTECTED_ROUTES).reduce((n, k) => n + (state.runs.get(k as never) ?? 0), 0)
        : (state.runs.get(key as never) ?? 0);
    expect(actual, `handler runs of ${key}`).toBe(count);
  }
  const wanted = expectation.stats;
  if (wanted) {
    // Settlement (commit / release) runs after the response is on its way.
    await expect
      .poll(
        () => {
          const s = state.stats();
          return Object.fromEntries(Object.keys(wanted).map((k) => [k, s[k as keyof typeof s]]));
        },
        { timeout: 2000, interval: 10 },
      )
      .toEqual(wanted);
  }
}

/** Runs one scenario against a listening server built for it. */
export async function runScenario(scenario: Scenario, server: Server, state: ContextState): Promise<void> {
  const history: StepRecord[] = [];
  for (const [index, step] of scenario.steps.entries()) {
    const { raw, credential } = await buildRequest(step, index, history, state);
    const where = `step ${index + 1} (${raw.method} ${raw.path}${step.note ? `: ${step.note}` : ''})`;
    try {
      if (step.advance) state.advance(step.advance);
      const route = protectedRouteOf(raw.method, raw.path);
      const runsBefore = route ? (state.runs.get(route) ?? 0) : 0;
      const responses = await Promise.all(Array.from({ length: step.repeat ?? 1 }, () => send(server, raw)));
      // Handlers count their run before answering, so every run of this step is counted by now.
      const handlerRuns = route ? (state.runs.get(route) ?? 0) - runsBefore : 0;
      const e = step.expect;
      const challenges: Challenge[] = [];
      for (const res of responses) {
        checkInvariants(res, credential?.value);
        checkResourceBoundary(res, { method: raw.method, path: raw.path, handlerRuns });
        const got = checkChallenges(res, state.now());
        if (challenges.length === 0) challenges.push(...got);
      }
      if (e.statusCounts) {
        const counts: Record<string, number> = {};
        for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
        expect(counts, 'statuses of the concurrent copies').toEqual(e.statusCounts);
      }
      const res = responses[0]!;
      if (!e.statusCounts) checkStatus(res, e.status);
      for (const [name, rule] of Object.entries(e.headers ?? {})) checkHeader(res, name.toLowerCase(), rule);
      if (e.problem !== undefined) {
        expect(res.header('content-type'), 'a problem document (R16)').toMatch(/^application\/problem\+json/);
        if (raw.method !== 'HEAD') {
          const problem = JSON.parse(res.body.toString('utf8')) as { type?: string; status?: number };
          const types = Array.isArray(e.problem) ? e.problem : [e.problem];
          expect(problem.type, 'problem type').toMatch(new RegExp(`/(${types.join('|')})$`));
          expect(problem.status, 'problem status equals the HTTP status (R16)').toBe(res.status);
        }
      }
      if (e.challenges) checkChallengeRule(e.challenges, challenges, raw.body, history);
      if (e.receipt !== undefined) {
        // Of concurrent copies, exactly the successful ones carry the receipt.
        for (const r of responses)
          checkReceipt(r, e.receipt && r.status >= 200 && r.status < 300, credential);
      }
      if (e.body) checkBody(res, e.body);
      if (e.signedReceipt) await checkSignedReceipt(res.header('payment-receipt'), credential!.challenge!);
      if (e.sandbox) {
        await expect
          .poll(
            () =>
              Object.fromEntries(
                Object.keys(e.sandbox!).map((k) => [k, sandboxSince(state)[k as 'completed']]),
              ),
            {
              timeout: 5000,
              interval: 20,
            },
          )
          .toEqual(e.sandbox);
      }
      await checkCounters(state, e);
      history.push({ challenges, credential });
    } catch (error) {
      if (error instanceof Error) error.message = `${where}: ${error.message}`;
      throw error;
    }
  }
}

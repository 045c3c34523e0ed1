import { describe, expect, it } from 'vitest';
import type { Payment } from '../engine/types.js';
import { createMpp } from '../fetch.js';
import { base64url, canonicalize, computeChallengeId } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import {
  type ChallengeObject,
  JsonRpcCode,
  type JsonRpcNext,
  type JsonRpcRequest,
  type JsonRpcResponse,
  mcpPayments,
} from './index.js';

const SECRET = 'mpp-conformance-secret-0123456789abcdef';
const T0 = Date.UTC(2026, 8, 15, 12, 0, 0);
const CREDENTIAL = 'org.paymentauth/credential';
const RECEIPT = 'org.paymentauth/receipt';

function setup(extra: Partial<Parameters<typeof createMpp>[0]> = {}) {
  const method = testMethod();
  const mpp = createMpp({
    methods: [method],
    secretKey: SECRET,
    clock: () => T0,
    realm: 'tools.example.com',
    ...extra,
  });
  const payments = mcpPayments(mpp, {
    tools: {
      forecast: { amount: '0.50', currency: 'sgd', description: 'Forecast' },
      premium: { amount: '0.50', currency: 'sgd', description: 'Forecast' },
    },
    resources: { 'data://premium/market': { amount: '0.10', currency: 'sgd' } },
    methods: { eth_getBlockByNumber: { amount: '0.01', currency: 'sgd' } },
  });
  const seen: { message: JsonRpcRequest; payment?: Payment }[] = [];
  let answer: 'ok' | 'isError' | 'error' | 'throw' = 'ok';
  const next: JsonRpcNext = (message, payment) => {
    seen.push({ message, payment });
    if (answer === 'throw') throw new Error('tool crashed');
    if (answer === 'error')
      return { jsonrpc: '2.0', id: message.id!, error: { code: -32001, message: 'no' } };
    if (message.method === 'eth_getBlockByNumber')
      return { jsonrpc: '2.0', id: message.id!, result: '0x1348c9' };
    return {
      jsonrpc: '2.0',
      id: message.id!,
      result: {
        content: [{ type: 'text', text: 'sunny' }],
        ...(answer === 'isError' ? { isError: true } : {}),
        _meta: { 'example.com/trace': 't1' },
      },
    };
  };
  const handle = async (message: Record<string, unknown>) =>
    (await payments.handle({ jsonrpc: '2.0', ...message } as JsonRpcRequest, next)) as JsonRpcResponse;
  const call = (name: string, args: unknown, meta?: Record<string, unknown>, id: number | string = 1) =>
    handle({ id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } });
  return {
    method,
    payments,
    handle,
    call,
    seen,
    answer: (a: typeof answer) => {
      answer = a;
    },
  };
}

/** The first challenge of a -32042/-32043 answer. */
function challengeOf(res: JsonRpcResponse): ChallengeObject {
  const data = res.error!.data as { challenges: ChallengeObject[] };
  return data.challenges[0]!;
}

const credential = (challenge: ChallengeObject, proof = 'ok-1') => ({ challenge, payload: { proof } });

describe('R61: payment required', () => {
  it('R61: no credential → -32042 with challenge objects (request decoded), httpStatus 402; the tool does not run', async () => {
    const { call, seen } = setup();
    const res = await call('forecast', { city: 'SF' });
    expect(res.id).toBe(1);
    expect(res.error!.code).toBe(JsonRpcCode.PaymentRequired);
    expect(res.error!.code).toBe(-32042);
    expect(res.error!.message).toBe('Payment Required');
    const data = res.error!.data as Record<string, unknown>;
    expect(data.httpStatus).toBe(402);
    expect((data.problem as { type: string }).type).toBe('https://paymentauth.org/problems/payment-required');
    const challenges = data.challenges as ChallengeObject[];
    expect(challenges.length).toBeGreaterThan(0);
    const c = challenges[0]!;
    expect(c).toMatchObject({
      realm: 'tools.example.com',
      method: 'test',
      intent: 'charge',
      request: { amount: '50', currency: 'sgd', description: 'Forecast', recipient: 'acct_test' },
      expires: '2026-09-15T12:15:00Z',
      description: 'Forecast',
    });
    // The id binds JCS(request): the same HMAC as the HTTP challenge whose request is base64url.
    expect(
      computeChallengeId(SECRET, { ...c, request: base64url.encode(canonicalize(c.request)) } as never),
    ).toBe(c.id);
    expect(res.result).toBeUndefined();
    expect(seen).toHaveLength(0);
  });

  it('R61: a priced resource and a priced plain JSON-RPC method are gated the same way', async () => {
    const { handle, seen } = setup();
    const resource = await handle({
      id: 7,
      method: 'resources/read',
      params: { uri: 'data://premium/market' },
    });
    expect(resource.error!.code).toBe(-32042);
    expect(challengeOf(resource).request).toMatchObject({ amount: '10' });
    const rpc = await handle({ id: 8, method: 'eth_getBlockByNumber', params: ['latest', false] });
    expect(rpc.error!.code).toBe(-32042);
    expect(seen).toHaveLength(0);
  });

  it('R61: free methods and other resources pass through untouched', async () => {
    const { handle, seen } = setup();
    const res = await handle({ id: 2, method: 'resources/read', params: { uri: 'data://free' } });
    expect(res.result).toBeDefined();
    expect(seen).toHaveLength(1);
  });
});

describe('R62: refusals', () => {
  it('R62: a tampered credential (request changed) → -32043 with a fresh challenge and the failure reason', async () => {
    const { call, seen } = setup();
    const c = challengeOf(await call('forecast', { city: 'SF' }));
    const tampered = { ...c, request: { ...c.request, amount: '1' } };
    const res = await call('forecast', { city: 'SF' }, { [CREDENTIAL]: credential(tampered) });
    expect(res.error!.code).toBe(JsonRpcCode.PaymentVerificationFailed);
    expect(res.error!.message).toBe('Payment Verification Failed');
    const data = res.error!.data as {
      httpStatus: number;
      failure: { reason: string };
      challenges: ChallengeObject[];
    };
    expect(data.httpStatus).toBe(402);
    expect(data.failure.reason).toBe('invalid-challenge');
    expect(data.challenges[0]!.id).not.toBe(c.id);
    expect(data.challenges[0]!.request).toEqual(c.request);
    expect(seen).toHaveLength(0);
  });

  it('R62: a replayed credential → -32043 with a fresh challenge; the tool ran once', async () => {
    const { call, seen } = setup();
    const c = challengeOf(await call('forecast', { city: 'SF' }));
    const meta = { [CREDENTIAL]: credential(c) };
    expect((await call('forecast', { city: 'SF' }, meta)).result).toBeDefined();
    const replay = await call('forecast', { city: 'SF' }, meta, 2);
    expect(replay.error!.code).toBe(-32043);
    expect((replay.error!.data as { failure: { reason: string } }).failure.reason).toBe('invalid-challenge');
    expect(challengeOf(replay).id).not.toBe(c.id);
    expect(seen).toHaveLength(1);
  });

  it('R62: an invalid proof → -32043 verification-failed; a pending one re-issues the same challenge with retryAfter', async () => {
    const { call } = setup();
    const c = challengeOf(await call('forecast', {}));
    const bad = await call('forecast', {}, { [CREDENTIAL]: credential(c, 'forged') });
    expect(bad.error!.code).toBe(-32043);
    expect((bad.error!.data as { failure: { reason: string } }).failure.reason).toBe('verification-failed');
    const pending = await call('forecast', {}, { [CREDENTIAL]: credential(c, 'pending') });
    expect(pending.error!.code).toBe(-32043);
    expect(challengeOf(pending).id).toBe(c.id);
    expect((pending.error!.data as { retryAfter: number }).retryAfter).toBe(2);
  });

  it('R62: a malformed credential → -32602 (not -32700) with the detail; the tool does not run', async () => {
    const { call, seen } = setup();
    const c = challengeOf(await call('forecast', {}));
    const cases: unknown[] = [
      'Payment abc',
      42,
      null,
      { payload: { proof: 'ok-1' } },
      { challenge: c },
      { challenge: { ...c, id: 7 }, payload: { proof: 'ok-1' } },
      { challenge: c, payload: 'ok-1' },
    ];
    for (const bad of cases) {
      const res = await call('forecast', {}, { [CREDENTIAL]: bad });
      expect(res.error!.code, JSON.stringify(bad)).toBe(JsonRpcCode.InvalidParams);
      expect(res.error!.message).toBe('Invalid params');
      const data = res.error!.data as { detail: string; problem: { type: string }; challenges: unknown[] };
      expect(data.problem.type).toBe('https://paymentauth.org/problems/malformed-credential');
      expect(data.detail).toMatch(/credential/i);
      expect(data.challenges.length).toBeGreaterThan(0);
    }
    expect(seen).toHaveLength(0);
  });

  it('R62: a credential for a method the tool does not offer → -32602 method-unsupported', async () => {
    const { call } = setup();
    const c = challengeOf(await call('forecast', {}));
    const res = await call('forecast', {}, { [CREDENTIAL]: credential({ ...c, method: 'other' }) });
    expect(res.error!.code).toBe(-32602);
    expect((res.error!.data as { problem: { type: string } }).problem.type).toMatch(/method-unsupported$/);
  });

  it('R62: a processor failure → -32603 (a crash, and an unavailable processor with retryAfter)', async () => {
    const { call, seen } = setup();
    const c = challengeOf(await call('forecast', {}));
    const crash = await call('forecast', {}, { [CREDENTIAL]: credential(c, 'crash') });
    expect(crash.error!.code).toBe(JsonRpcCode.InternalError);
    expect((crash.error!.data as { httpStatus: number }).httpStatus).toBe(500);
    expect((crash.error!.data as { challenges?: unknown }).challenges).toBeUndefined();
    const down = await call('forecast', {}, { [CREDENTIAL]: credential(c, 'unavailable') });
    expect(down.error!.code).toBe(-32603);
    expect((down.error!.data as { retryAfter: number; httpStatus: number }).retryAfter).toBe(1);
    expect(seen).toHaveLength(0);
  });

  it('R62: a rate-limited call → -32000 with httpStatus 429 and retryAfter, no challenge', async () => {
    const { call } = setup({ rateLimit: { max: 1, windowSeconds: 60, key: () => 'agent' } });
    expect((await call('forecast', {})).error!.code).toBe(-32042);
    const res = await call('forecast', {});
    expect(res.error!.code).toBe(JsonRpcCode.ServerError);
    const data = res.error!.data as { httpStatus: number; retryAfter: number; challenges?: unknown };
    expect(data.httpStatus).toBe(429);
    expect(data.retryAfter).toBe(60);
    expect(data.challenges).toBeUndefined();
  });

  it('R62 R63: a credential bound to one tool and its arguments is refused for other arguments and another tool', async () => {
    const { call, seen } = setup();
    const c = challengeOf(await call('forecast', { city: 'SF' }));
    const meta = { [CREDENTIAL]: credential(c) };
    const otherArgs = await call('forecast', { city: 'LA' }, meta);
    expect(otherArgs.error!.code).toBe(-32043);
    // `premium` has the same price and description: only the binding to the tool tells them apart.
    const otherTool = await call('premium', { city: 'SF' }, meta);
    expect(otherTool.error!.code).toBe(-32043);
    expect((otherTool.error!.data as { failure: { reason: string } }).failure.reason).toBe(
      'invalid-challenge',
    );
    expect(seen).toHaveLength(0);
    // Arguments are bound canonically: the same arguments in another member order still pay.
    const c2 = challengeOf(await call('forecast', { city: 'SF', units: 'metric' }));
    const paid = await call(
      'forecast',
      { units: 'metric', city: 'SF' },
      { [CREDENTIAL]: credential(c2, 'ok-2') },
    );
    expect(paid.result).toBeDefined();
  });
});

describe('R63: where the credential is read', () => {
  it('R63: a credential in params._meta pays', async () => {
    const { call } = setup();
    const c = challengeOf(await call('forecast', { city: 'SF' }));
    const res = await call('forecast', { city: 'SF' }, { [CREDENTIAL]: credential(c) });
    expect(res.error).toBeUndefined();
    expect((res.result as { _meta: Record<string, unknown> })._meta[RECEIPT]).toBeDefined();
  });

  it('R63: a credential in the root _meta pays, for an MCP tool and a plain JSON-RPC method', async () => {
    const { call, handle } = setup();
    const c = challengeOf(await call('forecast', { city: 'SF' }));
    const tool = await handle({
      id: 3,
      method: 'tools/call',
      params: { name: 'forecast', arguments: { city: 'SF' } },
      _meta: { [CREDENTIAL]: credential(c) },
    });
    expect((tool.result as { _meta: Record<string, unknown> })._meta[RECEIPT]).toBeDefined();
    const rpc = { id: 4, method: 'eth_getBlockByNumber', params: ['latest', false] };
    const c2 = challengeOf(await handle(rpc));
    const res = await handle({ ...rpc, _meta: { [CREDENTIAL]: credential(c2, 'ok-2') } });
    expect(res.result).toBe('0x1348c9');
    expect((res._meta as Record<string, { challengeId: string }>)[RECEIPT]!.challengeId).toBe(c2.id);
  });

  it('R63: credentials in both places are two credentials → -32602', async () => {
    const { handle, call } = setup();
    const c = challengeOf(await call('forecast', {}));
    const res = await handle({
      id: 5,
      method: 'tools/call',
      params: { name: 'forecast', arguments: {}, _meta: { [CREDENTIAL]: credential(c) } },
      _meta: { [CREDENTIAL]: credential(c) },
    });
    expect(res.error!.code).toBe(-32602);
    expect((res.error!.data as { detail: string }).detail).toMatch(/more than one/i);
  });

  it('R63: a credential on a free tool is ignored: the tool runs, nothing is verified, no receipt', async () => {
    const { call, seen, method } = setup();
    const c = challengeOf(await call('forecast', {}));
    for (const cred of [credential(c), 'garbage']) {
      const res = await call('echo', { text: 'hi' }, { [CREDENTIAL]: cred });
      expect(res.error).toBeUndefined();
      expect((res.result as { _meta: Record<string, unknown> })._meta[RECEIPT]).toBeUndefined();
    }
    expect(seen).toHaveLength(2);
    expect(seen.every((s) => s.payment === undefined)).toBe(true);
    expect(method.stats.verifyCalls).toBe(0);
  });
});

describe('R64: receipts', () => {
  it('R64: a paid success carries result._meta receipt (status, method, timestamp, challengeId); the handler gets the payment, not the credential', async () => {
    const { call, seen, method, payments } = setup();
    const c = challengeOf(await call('forecast', { city: 'SF' }));
    const res = await call('forecast', { city: 'SF' }, { [CREDENTIAL]: credential(c), 'example.com/k': 1 });
    const result = res.result as { content: unknown[]; _meta: Record<string, unknown> };
    expect(result.content).toEqual([{ type: 'text', text: 'sunny' }]);
    expect(result._meta['example.com/trace']).toBe('t1');
    expect(result._meta[RECEIPT]).toEqual({
      status: 'success',
      method: 'test',
      timestamp: '2026-09-15T12:00:00Z',
      reference: 'test_ref_1',
      challengeId: c.id,
    });
    const { message, payment } = seen[0]!;
    expect(payment).toMatchObject({ method: 'test', amount: '50', currency: 'sgd', challengeId: c.id });
    expect(payments.paymentOf(message.params as { _meta?: unknown })).toBe(payment);
    expect(JSON.stringify(message)).not.toContain(CREDENTIAL);
    expect((message.params as { _meta: Record<string, unknown> })._meta['example.com/k']).toBe(1);
    await Promise.resolve();
    expect(method.stats.commits).toBe(1);
  });

  it('R64: unpaid answers never carry a receipt; a failed paid call (isError, JSON-RPC error, throw) releases the payment', async () => {
    const { call, answer, method, payments } = setup();
    const unpaid = await call('forecast', {});
    expect(JSON.stringify(unpaid)).not.toContain(RECEIPT);
    expect(payments.paymentOf({ _meta: {} })).toBeUndefined();
    const c = challengeOf(unpaid);
    const meta = { [CREDENTIAL]: credential(c) };
    answer('isError');
    const failed = await call('forecast', {}, meta);
    expect((failed.result as { isError: boolean }).isError).toBe(true);
    expect(JSON.stringify(failed)).not.toContain(RECEIPT);
    answer('error');
    // Released: the same credential pays again, until the call succeeds.
    const errored = await call('forecast', {}, meta);
    expect(errored.error!.code).toBe(-32001);
    expect(JSON.stringify(errored)).not.toContain(RECEIPT);
    answer('throw');
    await expect(call('forecast', {}, meta)).rejects.toThrow('tool crashed');
    await new Promise((r) => setTimeout(r, 0));
    expect(method.stats.releases).toBe(3);
    expect(method.stats.commits).toBe(0);
    answer('ok');
    const ok = await call('forecast', {}, meta);
    expect(JSON.stringify(ok)).toContain(RECEIPT);
  });
});

describe('R65: notifications', () => {
  it('R65: a priced tool sent as a notification is not executed, with or without a credential', async () => {
    const { payments, call, seen, method } = setup();
    const c = challengeOf(await call('forecast', {}));
    const next: JsonRpcNext = (m) => {
      seen.push({ message: m });
      return undefined;
    };
    for (const meta of [undefined, { [CREDENTIAL]: credential(c) }]) {
      const out = await payments.handle(
        { jsonrpc: '2.0', method: 'tools/call', params: { name: 'forecast', arguments: {}, _meta: meta } },
        next,
      );
      expect(out).toBeUndefined();
    }
    expect(seen).toHaveLength(0);
    expect(method.stats.verifyCalls).toBe(0);
    // A free notification is delivered as usual.
    await payments.handle({ jsonrpc: '2.0', method: 'notifications/initialized' }, next);
    expect(seen).toHaveLength(1);
  });

  it('R65: in a batch, the priced notification is dropped and the requests are answered', async () => {
    const { payments } = setup();
    const ran: string[] = [];
    const out = (await payments.handle(
      [
        { jsonrpc: '2.0', method: 'tools/call', params: { name: 'forecast' } },
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'forecast' } },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      ],
      (m) => {
        ran.push(m.method);
        return { jsonrpc: '2.0', id: m.id!, result: { tools: [] } };
      },
    )) as JsonRpcResponse[];
    expect(out.map((r) => r.id)).toEqual([1, 2]);
    expect(out[0]!.error!.code).toBe(-32042);
    expect(ran).toEqual(['tools/list']);
  });
});

/**
 * The official MCP TypeScript SDK end to end: an `McpServer` connected through `payments.wrap`
 * and a `Client`, over the SDK's in-memory transport pair, paying with the `test` method.
 */

import { mcpPayments } from '@hit-pay/mpp/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { createMpp } from '../fetch.js';
import { testMethod } from '../testing/index.js';
import type { ChallengeObject } from './index.js';

const CREDENTIAL = 'org.paymentauth/credential';
const RECEIPT = 'org.paymentauth/receipt';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function connect() {
  const method = testMethod();
  const mpp = createMpp({ methods: [method], secretKey: 'mcp-sdk-test-secret-0123456789abcdef' });
  let runs = 0;
  let release: (() => void) | undefined;
  /** The tool's work: counted; `slow` waits for the test, `nowhere` fails (an `isError` result). */
  async function forecast(city: string): Promise<string> {
    runs++;
    if (city === 'slow') await new Promise<void>((r) => (release = r));
    if (city === 'nowhere') throw new Error('unknown city');
    return 'sunny';
  }
  const [clientSide, transport] = InMemoryTransport.createLinkedPair();

  // README "MCP" snippet, from here…
  const payments = mcpPayments(mpp, {
    tools: { forecast: { amount: '0.50', currency: 'sgd', description: 'Forecast' } },
  });

  const server = new McpServer({ name: 'weather', version: '1.0.0' });
  server.registerTool(
    'forecast',
    { description: 'Tomorrow’s weather, SGD 0.50 a call', inputSchema: { city: z.string() } },
    async ({ city }, extra) => {
      const payment = payments.paymentOf(extra); // the verified payment: amount, reference, receipt
      return {
        content: [{ type: 'text', text: `${city}: ${await forecast(city)} (paid ${payment?.reference})` }],
      };
    },
  );
  await server.connect(payments.wrap(transport));
  // …to here.

  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(clientSide);
  closers.push(() => client.close());
  return { client, method, clientSide, runs: () => runs, release: () => release?.() };
}

/** Calls a tool and returns the McpError it is refused with. */
async function refusal(promise: Promise<unknown>): Promise<McpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

describe('MCP SDK Server and Client through payments.wrap', () => {
  it('R61 R63 R64: -32042 with challenge objects, then the paid call returns the receipt in result._meta', async () => {
    const { client, runs } = await connect();
    expect(client.getServerCapabilities()?.experimental?.payment).toEqual({
      methods: { test: { intents: ['charge'] } },
    });

    const unpaid = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'SF' } }));
    expect(unpaid.code).toBe(-32042);
    const data = unpaid.data as { httpStatus: number; challenges: ChallengeObject[] };
    expect(data.httpStatus).toBe(402);
    const challenge = data.challenges[0]!;
    expect(challenge.request).toEqual({
      amount: '50',
      currency: 'sgd',
      description: 'Forecast',
      recipient: 'acct_test',
    });
    expect(runs()).toBe(0);

    const paid = await client.callTool({
      name: 'forecast',
      arguments: { city: 'SF' },
      _meta: { [CREDENTIAL]: { challenge, payload: { proof: 'ok-1' } } },
    });
    expect(paid.content).toEqual([{ type: 'text', text: 'SF: sunny (paid test_ref_1)' }]);
    expect(paid._meta?.[RECEIPT]).toMatchObject({
      status: 'success',
      method: 'test',
      reference: 'test_ref_1',
      challengeId: challenge.id,
    });
    expect(runs()).toBe(1);

    const free = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(free._meta?.[RECEIPT]).toBeUndefined();
  });

  it('R62: a replayed credential and one for other arguments get -32043 with fresh challenges', async () => {
    const { client, runs } = await connect();
    const unpaid = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'SF' } }));
    const challenge = (unpaid.data as { challenges: ChallengeObject[] }).challenges[0]!;
    const _meta = { [CREDENTIAL]: { challenge, payload: { proof: 'ok-1' } } };
    const elsewhere = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'LA' }, _meta }));
    expect(elsewhere.code).toBe(-32043);
    await client.callTool({ name: 'forecast', arguments: { city: 'SF' }, _meta });
    const replay = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'SF' }, _meta }));
    expect(replay.code).toBe(-32043);
    const fresh = (replay.data as { challenges: ChallengeObject[] }).challenges[0]!;
    expect(fresh.id).not.toBe(challenge.id);
    expect(runs()).toBe(1);
  });

  it('R64: an isError tool result carries no receipt and releases the payment', async () => {
    const { client, method } = await connect();
    const unpaid = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'nowhere' } }));
    const challenge = (unpaid.data as { challenges: ChallengeObject[] }).challenges[0]!;
    const result = await client.callTool({
      name: 'forecast',
      arguments: { city: 'nowhere' },
      _meta: { [CREDENTIAL]: { challenge, payload: { proof: 'ok-1' } } },
    });
    expect(result.isError).toBe(true);
    expect(result._meta?.[RECEIPT]).toBeUndefined();
    await vi.waitFor(() => expect(method.stats.releases).toBe(1));
    expect(method.stats.commits).toBe(0);
  });

  it('R64: a paid call the client cancels is released, not kept', async () => {
    const { client, method, runs, release } = await connect();
    const unpaid = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'slow' } }));
    const challenge = (unpaid.data as { challenges: ChallengeObject[] }).challenges[0]!;
    const abort = new AbortController();
    const call = client.callTool(
      {
        name: 'forecast',
        arguments: { city: 'slow' },
        _meta: { [CREDENTIAL]: { challenge, payload: { proof: 'ok-1' } } },
      },
      undefined,
      { signal: abort.signal },
    );
    await vi.waitFor(() => expect(runs()).toBe(1));
    abort.abort('changed my mind');
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(method.stats.releases).toBe(1));
    release();
    expect(method.stats.commits).toBe(0);
  });

  it('R64: a paid call whose connection closes before the answer is released', async () => {
    const { client, method, runs, release } = await connect();
    const unpaid = await refusal(client.callTool({ name: 'forecast', arguments: { city: 'slow' } }));
    const challenge = (unpaid.data as { challenges: ChallengeObject[] }).challenges[0]!;
    const call = client.callTool({
      name: 'forecast',
      arguments: { city: 'slow' },
      _meta: { [CREDENTIAL]: { challenge, payload: { proof: 'ok-1' } } },
    });
    await vi.waitFor(() => expect(runs()).toBe(1));
    await client.close();
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(method.stats.releases).toBe(1));
    release();
    expect(method.stats.commits).toBe(0);
  });

  it('R65: a priced tools/call sent as a notification is not executed', async () => {
    const { client, clientSide, runs } = await connect();
    await clientSide.send({
      jsonrpc: '2.0',
      method: 'tools/call',
      params: { name: 'forecast', arguments: { city: 'SF' } },
    });
    // Messages arrive in order: once a later call is answered, the notification has been handled.
    await client.callTool({ name: 'echo', arguments: { text: 'after' } });
    await new Promise((r) => setTimeout(r, 10));
    expect(runs()).toBe(0);
  });
});

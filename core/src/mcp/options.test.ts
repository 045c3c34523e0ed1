import { describe, expect, it } from 'vitest';
import { createMpp } from '../fetch.js';
import { MppConfigError } from '../protocol/index.js';
import { testMethod } from '../testing/index.js';
import { type JsonRpcResponse, mcpPayments } from './index.js';

const SECRET = 'mpp-conformance-secret-0123456789abcdef';

describe('mcpPayments set-up', () => {
  it('advertises experimental.payment in the initialize result', async () => {
    const mpp = createMpp({ methods: [testMethod()], secretKey: SECRET });
    const payments = mcpPayments(mpp, { tools: { forecast: { amount: '0.50', currency: 'sgd' } } });
    const out = (await payments.handle({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }, (m) => ({
      jsonrpc: '2.0',
      id: m.id!,
      result: { protocolVersion: '2025-11-25', capabilities: { tools: {} } },
    }))) as JsonRpcResponse;
    expect(out.result).toEqual({
      protocolVersion: '2025-11-25',
      capabilities: { tools: {}, experimental: { payment: { methods: { test: { intents: ['charge'] } } } } },
    });
  });

  it('refuses bad options at start-up with MppConfigError', () => {
    const mpp = createMpp({ methods: [testMethod()], secretKey: SECRET, realm: 'a.example' });
    const price = { amount: '1.00', currency: 'sgd' };
    expect(() => mcpPayments(mpp, {})).toThrow(MppConfigError);
    expect(() => mcpPayments(undefined as never, { tools: { x: price } })).toThrow(MppConfigError);
    expect(() => mcpPayments(mpp, { tools: { x: { amount: 'one', currency: 'sgd' } } })).toThrow(
      /tools\["x"\]/,
    );
    expect(() => mcpPayments(mpp, { tools: { x: price }, realm: 'b.example' })).toThrow(/realm/);
    expect(() => mcpPayments(mpp, { methods: { 'tools/call': price } })).toThrow(/tools option/);
    expect(() => mcpPayments(mpp, { tools: 'x' as never })).toThrow(/must be an object/);
    const bare = createMpp({ methods: [testMethod()], secretKey: SECRET });
    expect(() => mcpPayments(bare, { tools: { x: price }, realm: 'has space' })).toThrow(/realm/);
  });
});

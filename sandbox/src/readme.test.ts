import { describe, expect, it } from 'vitest';
import { startSandbox } from './index.js';

describe('README quick start', () => {
  it('runs as written', async () => {
    const sandbox = await startSandbox({ port: 0 });
    const res = await fetch(`${sandbox.url}/v1/payment-requests`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': 'test_my_key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: '5.00', currency: 'SGD', reference_number: 'order-1' }),
    });
    const pr = (await res.json()) as {
      id: string;
      status: string;
      url: string;
      amount: string;
      currency: string;
    };
    expect(pr).toMatchObject({ status: 'pending', amount: '5.00', currency: 'sgd' });
    expect(sandbox.pay(pr.id).status).toBe('completed');
    await sandbox.close();
  });
});

import { startSandbox } from '@hit-pay/mpp-sandbox';
import { describe, expect, it } from 'vitest';

describe('README quick start', () => {
  it('runs as written', async () => {
    const sandbox = await startSandbox({ port: 0 }); // port 0 picks a free port
    const res = await fetch(`${sandbox.url}/v1/payment-requests`, {
      method: 'POST',
      headers: { 'X-BUSINESS-API-KEY': 'test_my_key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ amount: '5.00', currency: 'SGD', reference_number: 'order-1' }),
    });
    const pr = await res.json(); // { id, status: 'pending', url: '<checkout page>', amount: '5.00', currency: 'sgd', … }
    sandbox.pay(pr.id); // what the checkout page's Pay button does
    await sandbox.close();

    expect(pr).toMatchObject({ status: 'pending', amount: '5.00', currency: 'sgd' });
    expect(pr.url).toMatch(/\/checkout$/);
  });
});

import { describe, expect, it } from 'vitest';
import { BudgetGuard } from './budget.js';
import { BudgetExceeded } from './errors.js';
import { MemoryLedger } from './ledger.js';

const entry = (host: string, amount: string, at = Date.now()) => ({
  at,
  url: `https://${host}/x`,
  host,
  method: 'hitpay',
  amount,
  currency: 'sgd',
  reference: 'r',
  challengeId: 'c',
});

describe('budgets are enforced before anything is paid', () => {
  it('per request', async () => {
    const g = new BudgetGuard({ currency: 'sgd', maxPerRequest: '2.00' }, new MemoryLedger());
    await expect(g.reserve('a.com', '201', 'sgd')).rejects.toBeInstanceOf(BudgetExceeded);
    (await g.reserve('a.com', '200', 'sgd'))();
  });
  it('refuses another currency', async () => {
    const g = new BudgetGuard({ currency: 'sgd', maxPerRequest: '2.00' }, new MemoryLedger());
    await expect(g.reserve('a.com', '100', 'myr')).rejects.toThrow(/not in the budget's currency/);
  });
  it('per host and per day over a rolling 24 hours, with per-host overrides', async () => {
    const ledger = new MemoryLedger();
    await ledger.append(entry('a.com', '900'));
    await ledger.append(entry('b.com', '900'));
    await ledger.append(entry('a.com', '5000', Date.now() - 25 * 3600_000)); // older than 24 h
    const g = new BudgetGuard(
      { currency: 'sgd', maxPerHostPerDay: '10.00', hosts: { 'b.com': '9.50' }, maxPerDay: '25.00' },
      ledger,
    );
    (await g.reserve('a.com', '100', 'sgd'))();
    await expect(g.reserve('a.com', '101', 'sgd')).rejects.toThrow(/24-hour cap SGD 10.00/);
    await expect(g.reserve('b.com', '51', 'sgd')).rejects.toThrow(/b.com/);
    await expect(
      new BudgetGuard({ currency: 'sgd', maxPerDay: '19.00' }, ledger).reserve('c.com', '101', 'sgd'),
    ).rejects.toThrow(/24-hour cap SGD 19.00/);
  });
  it('concurrent reservations count against each other until released', async () => {
    const g = new BudgetGuard({ currency: 'sgd', maxPerHostPerDay: '1.00' }, new MemoryLedger());
    const r1 = await g.reserve('a.com', '60', 'sgd');
    await expect(g.reserve('a.com', '60', 'sgd')).rejects.toBeInstanceOf(BudgetExceeded);
    r1();
    (await g.reserve('a.com', '60', 'sgd'))();
  });
  it('rejects a malformed budget at construction', () => {
    expect(() => new BudgetGuard({ currency: 'sgd', maxPerRequest: 'lots' }, new MemoryLedger())).toThrow();
  });
});

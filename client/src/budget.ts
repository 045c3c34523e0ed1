import { displayAmount, toMinorUnits } from '@hit-pay/mpp';
import { BudgetExceeded } from './errors.js';
import type { Ledger } from './ledger.js';

/**
 * Spending caps an agent enforces on itself, checked before anything is paid — the guard against
 * a prompt-injected or simply wrong price. Amounts are major units in `currency`.
 */
export interface Budget {
  /** The only currency this budget pays in (ISO 4217). */
  currency: string;
  /** Most one request may cost. */
  maxPerRequest?: string;
  /** Most one host may take in a rolling 24 hours (per host; override per host below). */
  maxPerHostPerDay?: string;
  /** Per-host overrides of `maxPerHostPerDay`, keyed by host (`api.example.com`). */
  hosts?: Record<string, string>;
  /** Most all hosts together may take in a rolling 24 hours. */
  maxPerDay?: string;
}

const DAY = 86_400_000;

/**
 * Checks a price against the budget and the ledger's last 24 hours, and reserves it until the
 * payment settles, so concurrent calls cannot overspend together. Returns the release function.
 */
export class BudgetGuard {
  private readonly pending = new Map<symbol, { host: string; amount: bigint }>();

  constructor(
    private readonly budget: Budget,
    private readonly ledger: Ledger,
    private readonly now: () => number = Date.now,
  ) {
    for (const v of [
      budget.maxPerRequest,
      budget.maxPerHostPerDay,
      budget.maxPerDay,
      ...Object.values(budget.hosts ?? {}),
    ]) {
      if (v !== undefined) toMinorUnits(v, budget.currency);
    }
  }

  async reserve(host: string, amountMinor: string, currency: string): Promise<() => void> {
    const b = this.budget;
    const price = displayAmount(amountMinor, currency);
    if (currency.toLowerCase() !== b.currency.toLowerCase()) {
      throw new BudgetExceeded(`Price ${price} is not in the budget's currency ${b.currency.toUpperCase()}`);
    }
    const amount = BigInt(amountMinor);
    const cap = (v: string | undefined): bigint | undefined =>
      v === undefined ? undefined : BigInt(toMinorUnits(v, b.currency));
    const perRequest = cap(b.maxPerRequest);
    if (perRequest !== undefined && amount > perRequest) {
      throw new BudgetExceeded(
        `Price ${price} is above the per-request cap ${displayAmount(String(perRequest), currency)}`,
      );
    }
    const since = this.now() - DAY;
    const entries = (await this.ledger.entries()).filter(
      (e) => e.at >= since && e.currency === currency.toLowerCase(),
    );
    const pending = [...this.pending.values()];
    const spentHost =
      entries.filter((e) => e.host === host).reduce((s, e) => s + BigInt(e.amount), 0n) +
      pending.filter((p) => p.host === host).reduce((s, p) => s + p.amount, 0n);
    const spentAll =
      entries.reduce((s, e) => s + BigInt(e.amount), 0n) + pending.reduce((s, p) => s + p.amount, 0n);
    const hostCap = cap(b.hosts?.[host] ?? b.maxPerHostPerDay);
    if (hostCap !== undefined && spentHost + amount > hostCap) {
      throw new BudgetExceeded(
        `Paying ${price} to ${host} would exceed its 24-hour cap ${displayAmount(String(hostCap), currency)} (spent ${displayAmount(String(spentHost), currency)})`,
      );
    }
    const dayCap = cap(b.maxPerDay);
    if (dayCap !== undefined && spentAll + amount > dayCap) {
      throw new BudgetExceeded(
        `Paying ${price} would exceed the 24-hour cap ${displayAmount(String(dayCap), currency)} (spent ${displayAmount(String(spentAll), currency)})`,
      );
    }
    const key = Symbol(host);
    this.pending.set(key, { host, amount });
    return () => {
      this.pending.delete(key);
    };
  }
}

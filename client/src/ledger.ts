/** One paid request, as the agent's ledger keeps it. */
export interface LedgerEntry {
  /** Epoch ms of the receipt. */
  at: number;
  url: string;
  host: string;
  method: string;
  /** Minor units. */
  amount: string;
  currency: string;
  /** HitPay payment id. */
  reference: string;
  challengeId: string;
  /** The receipt JWS, re-verifiable later (`mpp verify`). */
  receipt?: string;
}

/** Where receipts are recorded. The default is in memory; `@hit-pay/mpp-client/node` has a file ledger. */
export interface Ledger {
  append(entry: LedgerEntry): Promise<void>;
  /** Every entry, oldest first. */
  entries(): Promise<LedgerEntry[]>;
}

/** A ledger that lives as long as the process. */
export class MemoryLedger implements Ledger {
  private readonly list: LedgerEntry[] = [];
  async append(entry: LedgerEntry): Promise<void> {
    this.list.push(entry);
  }
  async entries(): Promise<LedgerEntry[]> {
    return this.list.slice();
  }
}

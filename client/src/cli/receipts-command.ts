import { displayAmount } from '@hit-pay/mpp';
import { FileLedger } from '../node/index.js';
import { ExitCode, type Output } from './output.js';

/** `mpp receipts`: the agent's ledger of paid requests. */
export async function receiptsCommand(flags: { ledger?: string }, out: Output): Promise<number> {
  const entries = await new FileLedger(flags.ledger).entries();
  if (out.json) {
    out.result(entries);
    return ExitCode.ok;
  }
  if (entries.length === 0) {
    out.human('No receipts yet.');
    return ExitCode.ok;
  }
  const rows = entries.map((e) => [
    new Date(e.at).toISOString().replace(/\.\d+Z$/, 'Z'),
    displayAmount(e.amount, e.currency),
    e.method,
    e.reference,
    e.url,
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out.human(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  return ExitCode.ok;
}

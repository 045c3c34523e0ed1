import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Ledger, LedgerEntry } from '../ledger.js';

/** `$MPP_HOME`, or `~/.mpp`. */
export function defaultMppHome(): string {
  return process.env.MPP_HOME ?? join(homedir(), '.mpp');
}

/** A ledger in a JSON-lines file (default `~/.mpp/ledger.jsonl`), one receipt per line. */
export class FileLedger implements Ledger {
  constructor(readonly path: string = join(defaultMppHome(), 'ledger.jsonl')) {}

  async append(entry: LedgerEntry): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await appendFile(this.path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  }

  async entries(): Promise<LedgerEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: LedgerEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as LedgerEntry);
      } catch {
        // A torn last line (crash mid-write) is skipped, not fatal.
      }
    }
    return out;
  }
}

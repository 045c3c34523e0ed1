/**
 * `npm run bench`: runs every section and writes bench/RESULTS.md and bench/results.json.
 * Flags: `--quick` (short runs, for a look), sections and frameworks by name (`core memory http
 * broker`, `express fastify koa nest`; or `--sections a,b`, `--frameworks a,b`), `--out=<dir>`
 * (default: the bench folder), `--no-wait` (do not wait for the load average to drop first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, summary } from './report.js';
import { cliArgs, flag, parseArgs, runSuite, userPath } from './suite.js';

const args = parseArgs(cliArgs());
const outFlag = flag(args.rest, 'out');
const out = (outFlag ? userPath(outFlag) : fileURLToPath(new URL('..', import.meta.url))).replace(/\/+$/, '');
const log = (line: string) => console.log(line);

// Other processes skew every figure: give a busy machine up to a minute to calm down first.
if (!args.quick && !args.rest.includes('--no-wait')) {
  const busy = () => os.loadavg()[0]! > os.cpus().length * 0.75;
  for (let waited = 0; busy() && waited < 60; waited += 5) {
    if (waited === 0)
      log(`load average ${os.loadavg()[0]!.toFixed(2)}: waiting up to 60 s for a quieter machine`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}
const results = await runSuite({ ...args, log });
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${out}/RESULTS.md`, renderMarkdown(results));
console.log('');
for (const line of summary(results)) console.log(line);
console.log(`\nWrote ${out}/RESULTS.md and ${out}/results.json (${results.meta.seconds!.toFixed(0)} s).`);

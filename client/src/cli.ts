/**
 * The `mpp` command: pay for HTTP requests from a terminal, save wallets, inspect and verify
 * receipts, check a server against the conformance scenarios, run a local setup (`mpp dev`), and
 * run the broker or the sandbox.
 * Text on a terminal, JSON when piped (or with --json); exit codes are listed in `mpp --help`.
 */
import { Command } from 'commander';
import { delegate } from './cli/delegate.js';
import { devCommand } from './cli/dev-command.js';
import { fetchCommand } from './cli/fetch-command.js';
import { ExitCode, Output } from './cli/output.js';
import { receiptsCommand } from './cli/receipts-command.js';
import { saveCommand } from './cli/save-command.js';
import { testCommand } from './cli/test-command.js';
import { verifyCommand } from './cli/verify-command.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function run(json: boolean | undefined, fn: (out: Output) => Promise<number>): Promise<void> {
  const out = new Output({ json });
  try {
    process.exitCode = await fn(out);
  } catch (error) {
    process.exitCode = out.fail(error);
  }
}

const program = new Command()
  .name('mpp')
  .description('HitPay MPP: pay HTTP 402s, save wallets, verify receipts, test servers')
  .addHelpText(
    'after',
    `
Exit codes: 0 ok · 1 error · 2 usage · 3 payment declined · 4 over budget · 5 timed out or expired
            6 receipt invalid · 7 the server answered an HTTP error · 8 broker or server unreachable
            10 conformance failures (mpp test)`,
  );

program
  .command('fetch <url>')
  .description('request a URL, paying its 402 (one-time checkout with a QR, or a saved grant)')
  .option('-X, --request <method>', 'HTTP method')
  .option('-H, --header <header>', 'request header "Name: value" (repeatable)', collect)
  .option('-d, --data <body>', 'request body (implies POST)')
  .option('-i, --include', 'print the response status and headers')
  .option('--max-amount <amount>', 'refuse to pay more than this per request (major units, e.g. 2.00)')
  .option('--currency <code>', 'currency of --max-amount', 'sgd')
  .option('--grant <file>', 'pay with a saved-method grant (from mpp save)')
  .option('--timeout <seconds>', 'give up waiting for the payment after this long')
  .option('--ledger <file>', 'receipt ledger file (default ~/.mpp/ledger.jsonl)')
  .option('--no-ledger', 'do not record the receipt')
  .option('--json', 'JSON output')
  .action((url: string, flags) => run(flags.json, (out) => fetchCommand(url, flags, out)));

program
  .command('save <url>')
  .description('save a wallet (GrabPay, ShopeePay, Touch n Go) for an API offering hitpay-save')
  .requiredOption('-m, --method <rail>', 'wallet: grabpay_direct, shopee_pay, touch_n_go')
  .requiredOption('-e, --email <email>', 'the payer’s e-mail')
  .option('-H, --header <header>', 'request header "Name: value" (repeatable)', collect)
  .option('-o, --out <file>', 'where to store the grant (default ~/.mpp/grant.json)')
  .option('--timeout <seconds>', 'give up waiting for the approval after this long')
  .option('--json', 'JSON output')
  .action((url: string, flags) => run(flags.json, (out) => saveCommand(url, flags, out)));

program
  .command('receipts')
  .description('list the receipts in the ledger')
  .option('--ledger <file>', 'ledger file (default ~/.mpp/ledger.jsonl)')
  .option('--json', 'JSON output')
  .action((flags) => run(flags.json, (out) => receiptsCommand(flags, out)));

program
  .command('verify <receipt>')
  .description('verify a Payment-Receipt value (or receipt JWS) against a broker JWKS')
  .option('--jwks <url>', 'the broker’s /.well-known/jwks.json')
  .option('--trust-issuer', 'fetch the JWKS from the receipt’s own iss URL')
  .option('--json', 'JSON output')
  .action((receipt: string, flags) => run(flags.json, (out) => verifyCommand(receipt, flags, out)));

program
  .command('test <url>')
  .description('check a live server against every conformance scenario that runs over the network')
  .option('--sandbox <url>', 'the HitPay sandbox the server is wired to: also run the scenarios that pay')
  .option('--route <url>', 'another protected URL of the same server (route pinning, R41)')
  .option('-X, --request <method>', 'HTTP method of the protected request')
  .option('-d, --data <body>', 'request body (implies POST; checks the digest binding, R11 R31)')
  .option('-H, --header <header>', 'header sent on every request, "Name: value" (repeatable)', collect)
  .option('--concurrency <n>', 'copies of one paid credential sent at once (R32)', '20')
  .option('--timeout <seconds>', 'per-request timeout', '15')
  .option('--json', 'JSON output')
  .action((url: string, flags) => run(flags.json, (out) => testCommand(url, flags, out)));

program
  .command('dev')
  .description('run the HitPay sandbox, an embedded broker and a weather API together, for local work')
  .option('--port <n>', 'port of the weather API (0 picks a free one)', '3000')
  .option('--sandbox-port <n>', 'port of the HitPay sandbox (0 picks a free one)', '0')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--persist', 'keep the broker and sandbox state in .mpp/dev (default: in memory)')
  .option('--json', 'JSON output (one line when ready, one when stopped)')
  .action((flags) => run(flags.json, (out) => devCommand(flags, out)));

program
  .command('broker')
  .description('run the standalone broker (mpp-broker start|migrate|rotate-keys|reconcile)')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[]) => {
    process.exitCode = await delegate('@hit-pay/mpp-broker', 'mpp-broker.js', args);
  });

program
  .command('sandbox')
  .description('run the offline HitPay sandbox (mpp-sandbox --port N)')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action(async (args: string[]) => {
    process.exitCode = await delegate('@hit-pay/mpp-sandbox', 'mpp-sandbox.js', args);
  });

program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : ExitCode.usage);
});

await program.parseAsync(process.argv);

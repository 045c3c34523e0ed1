import { renderTable } from './check/report.js';
import { runSuite } from './check/suite.js';
import { parseHeaderFlags } from './headers.js';
import { ExitCode, type Output, Spinner } from './output.js';

/** The flags of `mpp test` (commander hands them over as strings). */
export interface TestFlags {
  sandbox?: string;
  route?: string;
  request?: string;
  data?: string;
  header?: string[];
  concurrency?: string;
  timeout?: string;
  json?: boolean;
}

function usage(message: string): Error {
  return Object.assign(new Error(message), { code: 'bad-request' });
}

function httpUrl(value: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${flag} "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`${flag} must be an http(s) URL`);
  return url;
}

/**
 * `mpp test <url>`: runs every conformance scenario that can run over the network against a live
 * server and prints a pass/fail table (JSON when piped). Exit 0 when nothing failed, 10 otherwise.
 */
export async function testCommand(url: string, flags: TestFlags, out: Output): Promise<number> {
  const concurrency = Number(flags.concurrency ?? 20);
  if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 100)
    throw usage('--concurrency must be an integer from 2 to 100');
  const timeout = Number(flags.timeout ?? 15);
  if (!(timeout > 0)) throw usage('--timeout must be a positive number of seconds');
  const target = httpUrl(url, 'the URL');
  const spinner = out.json ? undefined : new Spinner(`testing ${target.href}…`).start();
  const report = await runSuite({
    url: target,
    method: flags.request ?? (flags.data !== undefined ? 'POST' : 'GET'),
    ...(flags.data !== undefined ? { body: Buffer.from(flags.data) } : {}),
    headers: Object.fromEntries(parseHeaderFlags(flags.header)),
    ...(flags.sandbox ? { sandbox: httpUrl(flags.sandbox, '--sandbox').href } : {}),
    ...(flags.route ? { route: httpUrl(flags.route, '--route') } : {}),
    concurrency,
    timeoutMs: timeout * 1000,
    onStart: (name, i, total) => spinner?.update(`${i + 1}/${total} ${name}`),
  }).finally(() => spinner?.stop());
  if (out.json) out.result(report);
  else out.human(renderTable(report, { color: out.tty, width: process.stdout.columns }));
  return report.ok ? ExitCode.ok : ExitCode.conformance;
}

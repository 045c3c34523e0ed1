/** Runs the benchmark sections in order (core first: it is the most sensitive to a busy machine). */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runBroker } from './broker.js';
import { runCore } from './core.js';
import { runHttp } from './http.js';
import { FRAMEWORKS, type Framework } from './http-apps.js';
import { runMemory } from './memory.js';
import { POSTGRES_URL } from './paid-fixture.js';
import { machine, type Results } from './results.js';

export const SECTIONS = ['core', 'memory', 'http', 'broker'] as const;
export type Section = (typeof SECTIONS)[number];

export interface SuiteOptions {
  quick: boolean;
  sections: readonly Section[];
  frameworks: readonly Framework[];
  log(line: string): void;
}

const VALUE_FLAGS = ['sections', 'frameworks', 'out', 'from', 'baseline', 'threshold'];
const BOOLEAN_FLAGS = ['quick'];

/**
 * The command line plus the flags npm kept for itself: the root scripts run `npm run bench
 * --workspace=bench`, so `npm run bench -- --quick` reaches this process as `npm_config_quick`
 * (and `--out=dir` as `npm_config_out`), not as arguments. Bare words (`npm run bench -- core koa`)
 * do arrive as arguments.
 */
export function cliArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  const out = [...argv];
  const env = process.env;
  for (const name of VALUE_FLAGS) {
    const v = env[`npm_config_${name}`];
    if (v && v !== 'true' && !out.includes(`--${name}`)) out.push(`--${name}`, v);
  }
  for (const name of BOOLEAN_FLAGS)
    if (env[`npm_config_${name}`] === 'true' && !out.includes(`--${name}`)) out.push(`--${name}`);
  if (env.npm_config_wait === 'false' && !out.includes('--no-wait')) out.push('--no-wait');
  return out;
}

/** A path given on the command line, relative to where `npm run` was typed (npm's INIT_CWD). */
export function userPath(p: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** The value of `--name value` or `--name=value`. */
export function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/**
 * Parses `--quick`, `--sections core,http,…` and `--frameworks express,koa`; bare section and
 * framework names (`core http koa`) work too.
 */
export function parseArgs(argv: readonly string[]): Omit<SuiteOptions, 'log'> & { rest: string[] } {
  const list = (name: string) => flag(argv, name)?.split(',').filter(Boolean);
  const values = new Set(VALUE_FLAGS.map((n) => flag(argv, n)));
  const words = argv.filter(
    (a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1]!.startsWith('--') && values.has(a)),
  );
  const named = <T extends string>(all: readonly T[]) => words.filter((w): w is T => all.includes(w as T));
  const sections =
    list('sections') ?? list('only') ?? (named(SECTIONS).length ? named(SECTIONS) : [...SECTIONS]);
  for (const s of sections)
    if (!SECTIONS.includes(s as Section)) throw new Error(`unknown section "${s}" (${SECTIONS.join(', ')})`);
  const frameworks = list('frameworks') ?? (named(FRAMEWORKS).length ? named(FRAMEWORKS) : [...FRAMEWORKS]);
  for (const f of frameworks)
    if (!FRAMEWORKS.includes(f as Framework))
      throw new Error(`unknown framework "${f}" (${FRAMEWORKS.join(', ')})`);
  const unknown = words.filter(
    (w) => !SECTIONS.includes(w as Section) && !FRAMEWORKS.includes(w as Framework),
  );
  if (unknown.length) throw new Error(`unknown argument(s): ${unknown.join(' ')}`);
  return {
    quick: argv.includes('--quick'),
    sections: sections as Section[],
    frameworks: frameworks as Framework[],
    rest: [...argv],
  };
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 5432) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function runSuite(o: SuiteOptions): Promise<Results> {
  const started = Date.now();
  const results: Results = { meta: machine(o.quick, [...o.sections]) };
  const pg = await reachable(POSTGRES_URL);
  if (!pg) o.log(`!! PostgreSQL is not reachable at ${POSTGRES_URL}: broker benchmarks are skipped`);
  for (const section of o.sections) {
    const t = Date.now();
    o.log(`[${section}] load ${os.loadavg()[0]!.toFixed(2)}`);
    if (section === 'core') results.core = await runCore(o.quick);
    if (section === 'memory') results.memory = await runMemory({ quick: o.quick });
    if (section === 'http')
      results.http = await runHttp({ quick: o.quick, frameworks: o.frameworks, broker: pg, log: o.log });
    if (section === 'broker' && pg) results.broker = await runBroker({ quick: o.quick, log: o.log });
    o.log(`[${section}] ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  results.meta.loadEnd = os.loadavg()[0]!;
  results.meta.seconds = (Date.now() - started) / 1000;
  return results;
}

/**
 * The machine-readable results (`bench/results.json`), the targets judged from them, and the flat
 * metric list `bench:compare` diffs.
 */
import { execSync } from 'node:child_process';
import os from 'node:os';
import type { BrokerResults } from './broker.js';
import type { CoreResults } from './core.js';
import type { HttpResults } from './http.js';
import type { MemoryResults } from './memory.js';
import { MPPX_VERSION } from './mppx-baseline.js';

export interface Meta {
  date: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  /** 1-minute load average when the run started and ended (other tenants of the machine show here). */
  loadStart: number;
  loadEnd?: number;
  commit: string;
  /** Files with uncommitted changes when the run started. */
  dirty: number;
  mppx: string;
  quick: boolean;
  sections: string[];
  seconds?: number;
}

export interface Results {
  meta: Meta;
  core?: CoreResults;
  http?: HttpResults;
  broker?: BrokerResults;
  memory?: MemoryResults;
}

export function machine(quick: boolean, sections: string[]): Meta {
  const git = (cmd: string) => {
    try {
      return execSync(`git ${cmd}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadStart: os.loadavg()[0]!,
    commit: git('rev-parse --short HEAD') || 'unknown',
    dirty: git('status --porcelain').split('\n').filter(Boolean).length,
    mppx: MPPX_VERSION,
    quick,
    sections,
  };
}

export interface Target {
  name: string;
  /** What was measured, in words, with the number. */
  measured: string;
  goal: string;
  met: boolean;
}

const us = (n: number) => `${n.toFixed(1)} µs`;
const x = (n: number) => `${n.toFixed(1)}×`;
const pc = (n: number) => `${(n * 100).toFixed(0)}%`;

/** Every performance target of the issue, judged against this run (only sections that ran). */
export function targets(r: Results): Target[] {
  const out: Target[] = [];
  const c = r.core?.samples;
  if (c) {
    const m = (k: string) => c[k]!.median;
    out.push({
      name: '402 issuance',
      measured: `engine decision ${us(m('ours.engine.402'))}`,
      goal: '≤ 20 µs',
      met: m('ours.engine.402') <= 20,
    });
    out.push({
      // The measure is "HMAC + expiry + request hash, no I/O": the no-op method. The test
      // method adds two replay-store claims (storage, even in memory) and is shown beside it.
      name: 'Paid-path verification (no signature, no I/O)',
      measured: `engine, no-op method ${us(m('ours.engine.paid.noop'))} (test method, with two replay-store claims: ${us(m('ours.engine.paid.test'))})`,
      goal: '≤ 15 µs',
      met: m('ours.engine.paid.noop') <= 15,
    });
    const r402 = m('mppx.fetch.402') / m('ours.engine.402');
    out.push({
      name: '402 issuance vs mppx',
      measured: `${x(r402)} faster (Fetch to Fetch: ${x(m('mppx.fetch.402') / m('ours.fetch.402'))})`,
      goal: '≥ 5× faster',
      met: r402 >= 5,
    });
    const rPaid = m('mppx.fetch.paid.noop') / m('ours.engine.paid.noop');
    out.push({
      name: 'Paid path vs mppx (no-op methods)',
      measured: `${x(rPaid)} faster (Fetch to Fetch: ${x(m('mppx.fetch.paid.noop') / m('ours.fetch.paid.noop'))})`,
      goal: '≥ 5× faster',
      met: rPaid >= 5,
    });
    const f402 = m('ours.engine.402') / m('floor.hmac');
    out.push({
      name: '402 vs crypto floor (one HMAC)',
      measured: `${x(f402)} the floor (${us(m('ours.engine.402'))} vs ${us(m('floor.hmac'))})`,
      goal: '≤ 2×',
      met: f402 <= 2,
    });
    const fPaid = m('ours.engine.paid.test+sig') / m('floor.hmac+ed25519');
    out.push({
      name: 'Paid vs crypto floor (HMAC + Ed25519)',
      measured: `${x(fPaid)} the floor (${us(m('ours.engine.paid.test+sig'))} vs ${us(m('floor.hmac+ed25519'))})`,
      goal: '≤ 2×',
      met: fPaid <= 2,
    });
  }
  for (const [fw, h] of Object.entries(r.http?.frameworks ?? {})) {
    const free = h.freeOurs.median / h.freeBare.median;
    const freeCpu = h.freeBare.cpuUsPerRequest / h.freeOurs.cpuUsPerRequest;
    out.push({
      name: `${fw}: unprotected route vs bare`,
      measured: `${pc(free)} of bare req/s (by server CPU per request: ${pc(freeCpu)})`,
      goal: '≥ 95% (overhead ≤ 5%)',
      met: free >= 0.95,
    });
    const auth = h.challenge402Ours.median / h.auth401Bare.median;
    const authCpu = h.auth401Bare.cpuUsPerRequest / h.challenge402Ours.cpuUsPerRequest;
    const fixed = h.fixed402Bare
      ? `; the same 402 precomputed: ${pc(h.fixed402Bare.median / h.auth401Bare.median)}`
      : '';
    out.push({
      name: `${fw}: 402 route vs plain 401`,
      measured: `${pc(auth)} of the 401's req/s (by server CPU per request: ${pc(authCpu)}; +${(h.challenge402Ours.cpuUsPerRequest - h.auth401Bare.cpuUsPerRequest).toFixed(0)} µs per request${fixed})`,
      goal: '≥ 80%',
      met: auth >= 0.8,
    });
  }
  const b64 = r.broker?.redemptions.find((l) => l.agents === 64);
  if (b64) {
    out.push({
      name: 'Embedded broker on PostgreSQL, 64 agents',
      measured: `${b64.perSecond.toFixed(0)} redeemed/s, p99 ${b64.p99.toFixed(1)} ms (until committed: ${b64.settledP99?.toFixed(1) ?? '–'} ms)`,
      goal: '≥ 500/s, p99 < 50 ms',
      met: b64.perSecond >= 500 && b64.p99 < 50,
    });
  }
  if (r.memory) {
    out.push({
      name: `No memory growth over ${r.memory.challenges.total.toLocaleString('en')} 402s`,
      measured: `heap ${r.memory.heapGrowthMb >= 0 ? '+' : ''}${r.memory.heapGrowthMb.toFixed(2)} MB (${r.memory.heapSlopeBytesPer402.toFixed(2)} B/402), RSS ${r.memory.rssGrowthMb >= 0 ? '+' : ''}${r.memory.rssGrowthMb.toFixed(1)} MB`,
      goal: 'flat heap',
      met: r.memory.flat,
    });
  }
  return out;
}

export interface Metric {
  key: string;
  value: number;
  unit: string;
  better: 'lower' | 'higher';
}

/** Every number worth watching for regressions, keyed stably across runs. */
export function metrics(r: Results): Metric[] {
  const out: Metric[] = [];
  for (const [k, s] of Object.entries(r.core?.samples ?? {}))
    out.push({ key: `core ${k}`, value: s.median, unit: 'µs', better: 'lower' });
  for (const [fw, h] of Object.entries(r.http?.frameworks ?? {})) {
    for (const [name, run] of Object.entries(h)) {
      if (!run || typeof run !== 'object' || !('median' in run)) continue;
      out.push({ key: `http ${fw} ${name}`, value: run.median, unit: 'req/s', better: 'higher' });
    }
    out.push({
      key: `http ${fw} free/bare`,
      value: h.freeOurs.median / h.freeBare.median,
      unit: 'ratio',
      better: 'higher',
    });
    out.push({
      key: `http ${fw} 402/401`,
      value: h.challenge402Ours.median / h.auth401Bare.median,
      unit: 'ratio',
      better: 'higher',
    });
  }
  for (const [kind, levels] of [
    ['redemptions', r.broker?.redemptions ?? []],
    ['saved charges', r.broker?.savedCharges ?? []],
  ] as const) {
    for (const l of levels) {
      out.push({
        key: `broker ${kind} ${l.agents} agents /s`,
        value: l.perSecond,
        unit: '/s',
        better: 'higher',
      });
      out.push({ key: `broker ${kind} ${l.agents} agents p99`, value: l.p99, unit: 'ms', better: 'lower' });
    }
  }
  if (r.memory) {
    out.push({
      key: 'memory 402s per second',
      value: r.memory.challenges.total / r.memory.challenges.seconds,
      unit: '/s',
      better: 'higher',
    });
    out.push({ key: 'memory heap growth', value: r.memory.heapGrowthMb, unit: 'MB', better: 'lower' });
  }
  return out;
}

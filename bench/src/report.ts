/** Renders `bench/RESULTS.md` from a run, and the short summary `npm run bench` prints. */
import type { BrokerResults, LoadLevel } from './broker.js';
import type { CoreResults } from './core.js';
import type { HttpResults, HttpRun } from './http.js';
import type { MemoryResults } from './memory.js';
import { type Results, targets } from './results.js';
import { fmt, type Sample } from './stats.js';

const range = (s: Sample, d = 1) => `${fmt(s.median, d)} (${fmt(s.min, d)}–${fmt(s.max, d)})`;
const rps = (r: HttpRun) => `${fmt(r.median, 0)} (${fmt(r.min, 0)}–${fmt(r.max, 0)})`;

function header(r: Results): string {
  const m = r.meta;
  return `# Benchmark results

Written by \`npm run bench\` (see [README.md](README.md) for what each benchmark measures and how to
read it). Every figure is the **median of interleaved rounds, with min–max in parentheses**. The
machine-readable copy is [results.json](results.json); \`npm run bench:compare\` diffs a new run
against it.

| | |
|---|---|
| Date | ${m.date} |
| Node | ${m.node} |
| CPU | ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB |
| OS | ${m.platform} |
| Commit | ${m.commit}${m.dirty ? ` (+${m.dirty} uncommitted files)` : ''} |
| mppx | ${m.mppx} (no-op method, \`Method.toServer\`) |
| Load average (1 min) | ${fmt(m.loadStart, 2)} at start, ${fmt(m.loadEnd ?? Number.NaN, 2)} at end |
| Run | ${m.quick ? 'quick' : 'full'}: ${m.sections.join(', ')}, ${fmt(m.seconds ?? Number.NaN, 0)} s |
`;
}

function targetTable(r: Results): string {
  const rows = targets(r).map(
    (t) => `| ${t.name} | ${t.measured} | ${t.goal} | ${t.met ? '✅ met' : '❌ missed'} |`,
  );
  return `## Targets\n\n| Target | Measured | Goal | |\n|---|---|---|---|\n${rows.join('\n')}\n`;
}

const CORE_ROWS: [string, string, string | undefined, string | undefined, string][] = [
  [
    '402 issuance: engine decision',
    'ours.engine.402',
    'mppx.fetch.402',
    'floor.hmac',
    'request hash, challenge + HMAC id, header, problem body',
  ],
  [
    '402 issuance: Fetch Request → Response',
    'ours.fetch.402',
    'mppx.fetch.402',
    'floor.hmac',
    'both sides: URL parse, Headers, `new Response`',
  ],
  [
    'Paid path: engine, no-op method',
    'ours.engine.paid.noop',
    'mppx.fetch.paid.noop',
    undefined,
    'parse, HMAC, pinning, expiry, request hash, receipt, finalize',
  ],
  [
    'Paid path: engine, `test` method',
    'ours.engine.paid.test',
    'mppx.fetch.paid.noop',
    undefined,
    'as above + two replay-store claims',
  ],
  [
    'Paid path: Fetch, no-op method',
    'ours.fetch.paid.noop',
    'mppx.fetch.paid.noop',
    undefined,
    'both sides: handler → `Response.json` with receipt',
  ],
  [
    'Paid path: Fetch, `test` method',
    'ours.fetch.paid.test',
    'mppx.fetch.paid.noop',
    undefined,
    'as above + two replay-store claims',
  ],
  [
    'Paid path + Ed25519 receipt JWS',
    'ours.engine.paid.test+sig',
    undefined,
    'floor.hmac+ed25519',
    'engine, `test` method, one receipt signed as the broker signs it',
  ],
  ['JCS of a typical request', 'ours.jcs', 'mppx.jcs', undefined, 'mppx: ox `Json.canonicalize`'],
  [
    'Challenge-id HMAC',
    'ours.hmac',
    'mppx.hmac',
    'floor.hmac.id',
    'input, HMAC-SHA256, base64url; mppx: ox (pure JS)',
  ],
  [
    'Ed25519 sign',
    'ours.ed25519.sign',
    'mppx.ed25519.sign',
    'floor.ed25519.sign',
    'ours: receipt JWS; mppx: ox (noble) over the same bytes',
  ],
  [
    'Ed25519 verify',
    'ours.ed25519.verify',
    'mppx.ed25519.verify',
    'floor.ed25519.verify',
    'ours: receipt JWS with claims; mppx: ox',
  ],
  [
    'Baseline: `new Request` + `new Response`',
    'baseline.request+response',
    undefined,
    undefined,
    'what any Fetch handler pays',
  ],
];

function core(c: CoreResults): string {
  const s = c.samples;
  const rows = CORE_ROWS.map(([label, ours, mppx, floor, includes]) => {
    const o = s[ours]!;
    const p = mppx ? s[mppx] : undefined;
    const f = floor ? s[floor] : undefined;
    const ratio = p ? `${fmt(o.median / p.median, 2)} (${fmt(p.median / o.median, 1)}× faster)` : '–';
    return `| ${label} | ${range(o, 2)} | ${p ? range(p, 1) : '–'} | ${ratio} | ${f ? `${fmt(f.median, 2)} (ours ${fmt(o.median / f.median, 1)}×)` : '–'} | ${includes} |`;
  });
  return `## 1. Core, one process, interleaved with mppx ${'0.11'}

µs per operation; ${c.rounds} rounds of ${Object.entries(c.perRound)
    .map(([k, v]) => `${v.toLocaleString('en')} (${k})`)
    .join(', ')} operations after an equal warm-up. "ours/mppx" below 1 means ours is faster.

| Operation | Ours µs | mppx 0.11 µs | ours/mppx | node:crypto floor µs | Includes |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
}

function http(h: HttpResults): string {
  const parts = [
    `## 2. HTTP on loopback (autocannon, ${h.connections} connections)

Requests per second (median of rounds, min–max). Unprotected and 402/401 routes: ${h.rounds} interleaved rounds of ${h.durationS} s per app after a 1 s warm-up; paid routes: rounds of a fixed number of distinct pre-generated credentials. The targets are judged on req/s. "Server CPU µs/request" is the server process's CPU time divided by the requests it answered (median of rounds): it does not count time spent waiting for a core, so it moves less than req/s when other processes load the machine; its ratio bare/ours reads like the req/s ratio. Server CPU is CPU time over wall time (1.00 = one core busy); well below 1, the server was not what limited req/s (the load generator on the other core, or the scheduler was), and the CPU column is the better comparison.
`,
  ];
  for (const [fw, f] of Object.entries(h.frameworks)) {
    const row = (label: string, bare: HttpRun | undefined, ours: HttpRun | undefined, note = '') =>
      `| ${label} | ${bare ? rps(bare) : '–'} | ${ours ? rps(ours) : '–'} | ${bare && ours ? `${fmt((ours.median / bare.median) * 100, 0)}%` : '–'} | ${bare ? fmt(bare.cpuUsPerRequest, 1) : '–'} / ${ours ? fmt(ours.cpuUsPerRequest, 1) : '–'}${bare && ours ? ` (${fmt((bare.cpuUsPerRequest / ours.cpuUsPerRequest) * 100, 0)}%)` : ''} | ${bare ? bare.p99 : '–'} / ${ours ? ours.p99 : '–'} | ${bare ? fmt(bare.serverCpu, 2) : '–'} / ${ours ? fmt(ours.serverCpu, 2) : '–'} | ${note} |`;
    const statuses = (r?: HttpRun & { charges?: Record<string, number> }) =>
      r
        ? `statuses ${Object.entries(r.statuses)
            .map(([k, v]) => `${k}×${v}`)
            .join(', ')}${r.charges ? `; charges after: ${JSON.stringify(r.charges)}` : ''}`
        : '';
    parts.push(`### ${fw === 'nest' ? 'nest (on Express)' : fw}

| Route | Bare req/s | Ours req/s | Ours/bare | Server CPU µs/request bare / ours (bare/ours) | p99 ms bare / ours | Server CPU bare / ours | Notes |
|---|---|---|---|---|---|---|---|
${row('Unprotected `GET /free`', f.freeBare, f.freeOurs)}
${row('402 (ours) vs plain 401 JSON (bare)', f.auth401Bare, f.challenge402Ours)}
${row('Diagnostic: a precomputed 402, same bytes, bare framework (vs its 401)', f.auth401Bare, f.fixed402Bare, 'what the 402 response costs without computing it')}
${row('Paid, `test` method (vs bare `/free`)', f.freeBare, f.paidTest, statuses(f.paidTest))}
${row('Paid, embedded broker, PGlite (vs bare `/free`)', f.freeBare, f.paidPglite, statuses(f.paidPglite))}
${row('Paid, embedded broker, PostgreSQL (vs bare `/free`)', f.freeBare, f.paidPostgres, statuses(f.paidPostgres))}
`);
  }
  return parts.join('\n');
}

function levels(title: string, list: LoadLevel[], unit: string): string {
  const rows = list.map(
    (l) =>
      `| ${l.agents} | ${fmt(l.perSecond, 0)} | ${fmt(l.p50, 1)} | ${fmt(l.p99, 1)} | ${fmt(l.max, 1)} | ${l.settledP99 === undefined ? '–' : fmt(l.settledP99, 1)} | ${l.operations} | ${l.failures} |`,
  );
  return `${title}\n\n| Agents | ${unit}/s | p50 ms | p99 ms | max ms | p99 ms until committed | Operations | Failures |\n|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`;
}

function broker(b: BrokerResults): string {
  return `## 3. Embedded broker on PostgreSQL

${levels('### One-time redemptions (engine paid path, `hitpay` method)', b.redemptions, 'Redeemed')}
Charge statuses after the run: ${JSON.stringify(b.chargeStatuses)}.

${b.savedChargeError ? `### Saved-method charges\n\nFailed: ${b.savedChargeError}\n` : levels('### Saved-method charges against the sandbox (zero latency, one grant per agent)', b.savedCharges, 'Charges')}`;
}

function memory(m: MemoryResults): string {
  const rows = m.challenges.samples.map(
    (s) =>
      `| ${s.at.toLocaleString('en')} | ${fmt(s.heapUsedMb, 2)} | ${fmt(s.rssMb, 1)} | ${fmt(s.externalMb, 2)} |`,
  );
  const st = m.store;
  const sizes = st.sizes.map((p) => `${p.second}s: ${p.size.toLocaleString('en')}`).join(' · ');
  return `## 4. Memory

### ${m.challenges.total.toLocaleString('en')} 402s (engine, \`test\` method), sampled after two full GCs

${fmt(m.challenges.total / m.challenges.seconds, 0)} 402s per second including the samples. Heap growth first → last: ${fmt(m.heapGrowthMb, 3)} MB; least-squares slope ${fmt(m.heapSlopeBytesPer402, 3)} bytes per 402; RSS ${fmt(m.rssGrowthMb, 1)} MB. **${m.flat ? 'Flat' : 'Not flat'}.**

| 402s | Heap used MB | RSS MB | External + ArrayBuffers MB |
|---|---|---|---|
${rows.join('\n')}

### Memory replay store under churn

${st.claims.toLocaleString('en')} single-use claims at ${st.perSecond.toLocaleString('en')} per (simulated) second, each held ${st.ttlMs} ms: about ${st.liveAtSteadyState.toLocaleString('en')} live at once. Size at the end of each second: ${sizes}. Largest steady-state size / live set: ${fmt(m.storeOvershoot, 4)}. Refused claims: ${st.refused}. Heap with the store (${st.finalSize.toLocaleString('en')} entries) alive: ${fmt(st.heapWithStoreMb, 1)} MB.

Capped store (\`maxEntries: ${st.capped.maxEntries.toLocaleString('en')}\`), ${st.capped.claims.toLocaleString('en')} claims while all entries are live: largest size ${st.capped.maxSize.toLocaleString('en')}, ${st.capped.refused.toLocaleString('en')} claims refused with \`service-unavailable\` (fail closed, no live claim evicted).
`;
}

export function renderMarkdown(r: Results): string {
  const parts = [header(r), targetTable(r)];
  if (r.core) parts.push(core(r.core));
  if (r.http) parts.push(http(r.http));
  if (r.broker) parts.push(broker(r.broker));
  if (r.memory) parts.push(memory(r.memory));
  return `${parts.join('\n')}`;
}

/** The lines `npm run bench` ends with. */
export function summary(r: Results): string[] {
  const lines: string[] = [];
  const s = r.core?.samples;
  if (s) {
    const m = (k: string) => fmt(s[k]!.median, 2);
    lines.push(`402 issuance (static price, engine):       ${m('ours.engine.402')} µs (target ≤ 20)`);
    lines.push(
      `paid-path verification:                    ${m('ours.engine.paid.test')} µs with the test method (two store claims + receipt), ${m('ours.engine.paid.noop')} µs with a no-op method (target ≤ 15, no signature)`,
    );
    lines.push(`one Ed25519 receipt signature (JWS):       ${m('ours.ed25519.sign')} µs`);
    lines.push(`JCS of a typical request:                  ${m('ours.jcs')} µs`);
    lines.push(`mppx 0.11: 402 ${m('mppx.fetch.402')} µs, paid ${m('mppx.fetch.paid.noop')} µs`);
  }
  for (const [fw, h] of Object.entries(r.http?.frameworks ?? {})) {
    lines.push(
      `${fw.padEnd(8)} unprotected ${fmt((h.freeOurs.median / h.freeBare.median) * 100, 0)}% of bare (≥ 95%), 402 ${fmt((h.challenge402Ours.median / h.auth401Bare.median) * 100, 0)}% of plain 401 (≥ 80%)`,
    );
  }
  for (const t of targets(r)) lines.push(`${t.met ? '✅' : '❌'} ${t.name}: ${t.measured} (goal ${t.goal})`);
  return lines;
}

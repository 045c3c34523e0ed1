/**
 * `mpp fetch` in a real terminal (tmux, 120×60): the PayNow QR and the spinner with elapsed
 * seconds show while it waits; once the person pays in the sandbox, the paid line and the forecast
 * appear and the command exits 0.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TMUX, toolAvailable } from './support/services.js';
import { EXAMPLES, startWorld, type World } from './support/world.js';

const MPP = fileURLToPath(new URL('../bin/mpp.js', import.meta.url));
// A socket of our own, so the test neither sees nor touches anyone else's tmux sessions.
const SOCKET = `mpp-client-test-${process.pid}`;

function tmux(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(TMUX, ['-L', SOCKET, ...args], { timeout: 10_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** The pane's text, scrollback included. */
const screen = () => tmux('capture-pane', '-p', '-t', 'mpp', '-S', '-200');

async function waitFor(what: string, test: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < until) {
    text = await screen();
    if (test(text)) return text;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the terminal never showed ${what}:\n${text}`);
}

let available = false;
let w: World;
beforeAll(async () => {
  available = await toolAvailable('tmux');
  if (available) w = await startWorld(EXAMPLES['fetch (hono)']!);
}, 60_000);
afterAll(async () => {
  if (available) {
    // kill-server leaves the socket file behind; remove ours too.
    const socket = (await tmux('display-message', '-p', '#{socket_path}').catch(() => '')).trim();
    await tmux('kill-server').catch(() => undefined);
    if (socket.endsWith(SOCKET)) await rm(socket, { force: true });
  }
  await w?.close();
});

describe('mpp fetch in a terminal', () => {
  it('shows the QR and a spinner while waiting, then the paid forecast', async (ctx) => {
    if (!available) ctx.skip();
    const home = await mkdtemp(join(tmpdir(), 'mpp-home-'));
    const command = `${process.execPath} ${MPP} fetch ${w.api.url}/forecast/94103; echo "EXIT=$?"; sleep 600`;
    await tmux(
      'new-session',
      '-d',
      '-s',
      'mpp',
      '-x',
      '120',
      '-y',
      '60',
      '-e',
      `MPP_HOME=${home}`,
      'sh',
      '-c',
      command,
    );

    const waiting = await waitFor('the spinner past one second', (t) =>
      /waiting for the payment… [1-9]\d*s/.test(t),
    );
    expect(waiting).toMatch(/SGD 1\.00 — Forecast {2}\(127\.0\.0\.1:\d+\)/);
    const qr = waiting.split('\n').filter((l) => /^[ ▀▄█]{20,}$/.test(l) && /[▀▄█]/.test(l));
    expect(qr.length).toBeGreaterThanOrEqual(15);
    expect(waiting).toMatch(/Pay here: http:\/\/127\.0\.0\.1:\d+\/payment-request\/@[^/]+\/[\w-]+\/checkout/);

    // The person scans the QR and pays.
    const pending = Object.values(w.sandbox.state.paymentRequests).filter((p) => p.status === 'pending');
    expect(pending).toHaveLength(1);
    expect(waiting).toContain(`HitPay payment request: ${pending[0]!.id}`);
    w.sandbox.pay(pending[0]!.id);

    const done = await waitFor('the exit code', (t) => /EXIT=\d+/.test(t));
    expect(done).toMatch(/✔ paid SGD 1\.00 · reference [\w-]+ · receipt verified/);
    const body = done.split('\n').find((l) => l.startsWith('{"zip"'));
    expect(JSON.parse(body!)).toMatchObject({ zip: '94103', sky: expect.any(String) });
    expect(done).toContain('EXIT=0');
    expect(done).not.toMatch(/waiting for the payment… \d+s\s*$/m);
  });
});

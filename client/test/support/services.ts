/**
 * Optional tools the CLI's tests drive (tmux, for a real terminal). A test that needs one calls
 * `await toolAvailable(...)` in `beforeAll`: when it is missing the test is skipped with a loud
 * message, unless MPP_REQUIRE_SERVICES=1 (set by CI), in which case it fails — the same contract
 * as test-support/services.ts.
 */
import { execFile } from 'node:child_process';

export const TMUX = process.env.MPP_TMUX_PATH ?? 'tmux';

const probes = {
  tmux: () =>
    new Promise<boolean>((resolve) => {
      execFile(TMUX, ['-V'], { timeout: 5000 }, (error, stdout) => resolve(!error && /^tmux /.test(stdout)));
    }),
};

export type ToolName = keyof typeof probes;

/** True when the tool runs; otherwise throws under MPP_REQUIRE_SERVICES=1, or warns and returns false. */
export async function toolAvailable(name: ToolName): Promise<boolean> {
  if (await probes[name]()) return true;
  const message = `[hit-pay/mpp-client tests] ${name} is not available; tests that need it are SKIPPED.`;
  if (process.env.MPP_REQUIRE_SERVICES === '1')
    throw new Error(`${message} (MPP_REQUIRE_SERVICES=1: failing instead)`);
  console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
  return false;
}

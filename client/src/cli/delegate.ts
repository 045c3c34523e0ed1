import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Runs another package's CLI (`mpp broker` → `mpp-broker`, `mpp sandbox` → `mpp-sandbox`) as a
 * child process with the same terminal, so its signals and exit code are its own.
 */
export function delegate(pkg: string, bin: string, args: readonly string[]): Promise<number> {
  let binPath: string;
  try {
    const require = createRequire(import.meta.url);
    binPath = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', bin);
  } catch {
    process.stderr.write(`${pkg} is not installed: npm i ${pkg}\n`);
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, ...args], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}

#!/usr/bin/env node
// In a source checkout, run src/cli.ts through tsx with the workspace's source export condition;
// in an installed package, run the compiled dist/cli.js.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

if (existsSync(source)) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@hit-pay/source',
      '--import',
      import.meta.resolve('tsx'),
      source,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  // A terminal Ctrl-C reaches both processes; the child ignores repeats, so forwarding is safe.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so a supervisor sees what the child saw.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? 1;
  });
} else {
  await import('../dist/cli.js');
}

/** Forks a benchmark helper (TypeScript through tsx, source condition) and calls it over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  readonly process: ChildProcess;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** Resolves when the child has exited. */
  exited: Promise<number | null>;
}

/** Forks `src/<file>` with the tsx loader and waits for its `{ ready: true }`. */
export async function forkHelper(file: string, execArgv: string[] = []): Promise<Child> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ['--import', 'tsx', '--conditions=@hit-pay/source', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      for (const p of pending.values()) p.reject(new Error(`${file} exited (${code})`));
      pending.clear();
      resolve(code);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${file} exited before it was ready (${code})`)));
  });
  child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${file}: ${m.error}`));
    else p.resolve(m.result);
  });
  return {
    process: child,
    exited,
    call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
      const id = ++next;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, ...args });
      });
    },
  };
}

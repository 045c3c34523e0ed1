/**
 * Real services for tests (PostgreSQL, Redis, Chromium). A test that needs one calls
 * `await requireService(...)` in `beforeAll`: when the service is missing the test is skipped with a
 * loud message, unless MPP_REQUIRE_SERVICES=1 (set by .ci/run), in which case it fails.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';

export const POSTGRES_URL = process.env.MPP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.MPP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CHROMIUM_PATH = process.env.MPP_CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Launch flags for Debian's Chromium in this sandboxed, offline environment. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const probes = {
  postgres: () => {
    const u = new URL(POSTGRES_URL);
    return tcpReachable(u.hostname, Number(u.port || 5432));
  },
  redis: () => {
    const u = new URL(REDIS_URL);
    return tcpReachable(u.hostname, Number(u.port || 6379));
  },
  chromium: async () => existsSync(CHROMIUM_PATH),
};

export type ServiceName = keyof typeof probes;

/**
 * Resolves true when the service is available. When it is not: throws under MPP_REQUIRE_SERVICES=1,
 * otherwise prints a loud warning and resolves false (the caller then skips).
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  if (await probes[name]()) return true;
  const message = `[hit-pay/mpp tests] ${name} is not available; tests that need it are SKIPPED.`;
  if (process.env.MPP_REQUIRE_SERVICES === '1')
    throw new Error(`${message} (MPP_REQUIRE_SERVICES=1: failing instead)`);
  console.warn(`\n${'!'.repeat(80)}\n${message}\n${'!'.repeat(80)}\n`);
  return false;
}

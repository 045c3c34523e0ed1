/**
 * A minimal structured logger interface (pino and console-like objects fit). The engine logs at
 * debug level with identifiers only: credentials, secrets and receipts' signatures never reach it.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const noop = (): void => {};

/** The default logger: silent. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

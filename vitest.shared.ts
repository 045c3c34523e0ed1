import { defineProject } from 'vitest/config';

/** Shared per-package vitest settings: resolve workspace packages to their TypeScript source. */
export function project(name: string, overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineProject({
    resolve: { conditions: ['@hit-pay/source'] },
    ssr: { resolve: { conditions: ['@hit-pay/source'] } },
    oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
    test: {
      name,
      environment: 'node',
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 20_000,
      hookTimeout: 60_000,
    },
  } as Parameters<typeof defineProject>[0]);
}

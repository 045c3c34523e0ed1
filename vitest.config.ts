import { defineConfig } from 'vitest/config';

/**
 * One vitest project per package, all running from TypeScript source through the
 * `@hit-pay/source` export condition (no build step before tests).
 * The JSON report feeds `.ci/run`'s closing `N passed, N failed` line.
 */
export default defineConfig({
  test: {
    projects: ['*/vitest.config.ts', 'adapters/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});

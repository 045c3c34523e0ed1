import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The adapters' promise in numbers: each stays thin — at most 150 lines of code — and holds no
 * protocol logic, so every decision is core's and the suite above is its whole behaviour. Lines of
 * code are lines that are neither blank nor comments, over the package's non-test sources.
 */

const ADAPTERS = ['express', 'fastify', 'koa', 'nest'];
const root = join(import.meta.dirname, '../../adapters');

function sources(adapter: string): { file: string; text: string }[] {
  const dir = join(root, adapter, 'src');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));
}

/** Lines neither blank nor comment (`//` lines and `/** … *\/` blocks, as the sources write them). */
function linesOfCode(text: string): number {
  let count = 0;
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.includes('*/')) inBlock = false;
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    if (line.startsWith('/*')) {
      inBlock = !line.includes('*/');
      continue;
    }
    count++;
  }
  return count;
}

describe('linesOfCode', () => {
  it('counts code, not blanks or comments', () => {
    expect(
      linesOfCode('/**\n * doc\n */\nconst a = 1;\n\n// why\nconst b = 2; // trailing\n/* one */\n'),
    ).toBe(2);
  });
});

describe.each(ADAPTERS)('adapter %s', (adapter) => {
  it('is at most 150 lines of code', () => {
    const total = sources(adapter).reduce((n, s) => n + linesOfCode(s.text), 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(150);
  });

  it('imports nothing from the protocol module but types', () => {
    for (const { file, text } of sources(adapter)) {
      for (const m of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'@hit-pay\/mpp\/protocol'/gms))
        expect(m[1], `${adapter}/src/${file} imports protocol values`).toBe('type ');
    }
  });
});

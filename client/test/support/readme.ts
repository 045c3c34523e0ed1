/**
 * The README's first ` ```ts ` snippet is the code a test runs: its `import` lines appear verbatim
 * in the test file, and the rest equals the region between `// readme:start` and `// readme:end`
 * there (indentation aside, so the test may run it inside a function). A local copy of the
 * conformance package's check, which the client must not depend on.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

const dedent = (lines: string[]): string[] => {
  const cut = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(cut));
};

export function expectReadmeSnippet(readme: URL, test: URL): void {
  const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'))?.[1];
  expect(block, `${readme.pathname} has a ts snippet`).toBeDefined();
  const lines = block!.trimEnd().split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  while (body.length && body[0]!.trim() === '') body.shift();
  const source = readFileSync(test, 'utf8');
  for (const line of imports) expect(source, 'the test imports what the README imports').toContain(line);
  const region = /\/\/ readme:start\n([\s\S]*?)\n\s*\/\/ readme:end/.exec(source)?.[1];
  expect(region, 'the test marks the README code with // readme:start and // readme:end').toBeDefined();
  expect(dedent(region!.split('\n')).join('\n')).toBe(body.join('\n'));
}

/**
 * Every snippet in the README and the docs is code that runs:
 * - a TypeScript block must appear verbatim in a file a test executes (an example, or a test file
 *   holding the snippet), except for a closing `listen(...)` line (tests bind ephemeral ports);
 * - a shell block may only name npm scripts that exist and commands the CLIs have.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const SKIP = new Set(['node_modules', 'dist', '.git', 'test-results', '.mpp', 'coverage', '.turbo']);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const files = walk(root);
const markdown = files.filter((f) => f.endsWith('.md') && !relative(root, f).startsWith('bench/RESULTS'));
// Code a test executes: the examples (each has end-to-end tests) and test files themselves.
const tested = files.filter(
  (f) => /\.(ts|tsx)$/.test(f) && (relative(root, f).startsWith('examples/') || f.endsWith('.test.ts')),
);
// Layout is the formatter's business: whitespace, semicolons and trailing commas are not compared.
const squash = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/;/g, '')
    .replace(/,\s*([)\]}])/g, '$1')
    .replace(/([([{]) /g, '$1')
    .replace(/ ([)\]}])/g, '$1')
    .trim();
const corpus = tested.map((f) => squash(readFileSync(f, 'utf8')));

function blocks(file: string, langs: string[]): string[] {
  const out: string[] = [];
  const re = /```(\w+)\n([\s\S]*?)```/g;
  for (const m of readFileSync(file, 'utf8').matchAll(re)) if (langs.includes(m[1]!)) out.push(m[2]!);
  return out;
}

const tsBlocks = markdown.flatMap((f) =>
  blocks(f, ['ts', 'typescript']).map((code) => ({ file: relative(root, f), code })),
);
const shBlocks = markdown.flatMap((f) =>
  blocks(f, ['sh', 'bash', 'shell']).map((code) => ({ file: relative(root, f), code })),
);

describe('TypeScript snippets in Markdown are tested code', () => {
  it('there are snippets to check', () => {
    expect(tsBlocks.length).toBeGreaterThan(5);
  });
  for (const [i, { file, code }] of tsBlocks.entries()) {
    it(`${file} snippet ${i + 1}`, () => {
      const lines = code
        .split('\n')
        .filter((line) => !/^\s*(await\s+)?(app|server)\.listen\(.*\);?\s*$/.test(line));
      // Tests hoist imports to the top of the file: import lines may be anywhere in it, the rest is contiguous.
      const imports = lines.filter((l) => /^import /.test(l)).map(squash);
      const body = squash(lines.filter((l) => !/^import /.test(l)).join('\n'));
      const found = corpus.some((text) => text.includes(body) && imports.every((i) => text.includes(i)));
      expect(found, `not found verbatim in any tested file:\n${lines.join('\n')}`).toBe(true);
    });
  }
});

describe('shell snippets name real scripts and commands', () => {
  const scripts = Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts);
  const mpp = ['fetch', 'save', 'receipts', 'verify', 'test', 'dev', 'broker', 'sandbox', '--help'];
  const broker = ['start', 'migrate', 'rotate-keys', 'reconcile', '--help'];
  it('the README gives the two commands', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
  for (const [i, { file, code }] of shBlocks.entries()) {
    it(`${file} shell snippet ${i + 1}`, () => {
      for (const m of code.matchAll(/npm run ([\w:-]+)/g))
        expect(scripts, `${file}: npm run ${m[1]}`).toContain(m[1]);
      for (const m of code.matchAll(/(?:^|\s)(?:npx )?mpp ([\w-]+)/g))
        expect(mpp, `${file}: mpp ${m[1]}`).toContain(m[1]);
      for (const m of code.matchAll(/mpp-broker ([\w-]+)/g))
        expect(broker, `${file}: mpp-broker ${m[1]}`).toContain(m[1]);
    });
  }
});

/**
 * The examples in the READMEs run, and print what their comments say.
 *
 * A README code block that follows the marker `<!-- tested: readme example -->` is
 * transpiled (TypeScript, CommonJS) and run with `@grove/core` as its only import.
 * Each `console.log(...); // expected` line states its output; the test compares
 * what the example printed, in order, with those comments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as ts from 'typescript';
import * as core from '@grove/core';

const repo = path.resolve(__dirname, '..');
const MARKER = '<!-- tested: readme example -->';
const EXAMPLE_TIMEOUT_MS = 10_000;

interface Example {
  file: string;
  index: number;
  code: string;
  expected: string[];
}

function examplesIn(file: string): Example[] {
  const text = fs.readFileSync(path.join(repo, file), 'utf8');
  const out: Example[] = [];
  let at = text.indexOf(MARKER);
  while (at >= 0) {
    const block = /```ts\n([\s\S]*?)\n```/.exec(text.slice(at));
    if (block === null) throw new Error(`${file}: a tested-example marker without a \`\`\`ts block after it`);
    const code = block[1]!;
    const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!);
    out.push({ file, index: out.length + 1, code, expected });
    at = text.indexOf(MARKER, at + MARKER.length);
  }
  return out;
}

/** Runs `example` and resolves with what it printed once it printed as many lines as it promises. */
function run(example: Example): Promise<string[]> {
  const js = ts.transpileModule(example.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: 'example.ts',
  }).outputText;
  return new Promise((resolve, reject) => {
    const printed: string[] = [];
    const timer = setTimeout(
      () => reject(new Error(`${example.file} example ${example.index} printed ${printed.length} of ${example.expected.length} lines: ${JSON.stringify(printed)}`)),
      EXAMPLE_TIMEOUT_MS,
    );
    const done = (): void => {
      clearTimeout(timer);
      resolve(printed);
    };
    const fakeConsole = {
      log: (...args: unknown[]) => {
        printed.push(format(...args));
        if (printed.length === example.expected.length) done();
      },
      error: (...args: unknown[]) => {
        clearTimeout(timer);
        reject(new Error(`example wrote an error: ${format(...args)}`));
      },
    };
    const fakeRequire = (name: string): unknown => {
      if (name === '@grove/core') return core;
      throw new Error(`README examples may only import @grove/core, not ${name}`);
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', 'console', js)(fakeRequire, module, module.exports, fakeConsole);
    if (example.expected.length === 0) done();
  });
}

const examples = [...examplesIn('README.md'), ...examplesIn('packages/core/README.md')];

describe('README examples', () => {
  it('exist: the root README and the core README each have a tested example', () => {
    expect(new Set(examples.map((e) => e.file))).toEqual(new Set(['README.md', 'packages/core/README.md']));
  });

  it.each(examples.map((e) => [`${e.file} #${e.index}`, e] as const))('%s runs and prints what its comments say', async (_name, example) => {
    expect(example.expected.length).toBeGreaterThan(0);
    expect(await run(example)).toEqual(example.expected);
  });
});

/**
 * The tested examples of the global and rpc sections of packages/dist/README.md run,
 * and print what their comments say.
 *
 * A code block after the marker `<!-- tested: dist global/rpc readme example -->` is
 * transpiled (TypeScript, CommonJS) and run with @grove/core and @grove/dist as its
 * imports. Each `console.log(...); // expected` line states its output, in order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as ts from 'typescript';
import * as core from '@grove/core';
import * as dist from '@grove/dist';

const README = path.resolve(__dirname, '..', 'packages', 'dist', 'README.md');
const MARKER = '<!-- tested: dist global/rpc readme example -->';
const modules: Record<string, unknown> = { '@grove/core': core, '@grove/dist': dist };

function examples(): Array<{ code: string; expected: string[] }> {
  const text = fs.readFileSync(README, 'utf8');
  const out: Array<{ code: string; expected: string[] }> = [];
  for (let at = text.indexOf(MARKER); at >= 0; at = text.indexOf(MARKER, at + MARKER.length)) {
    const block = /```ts\n([\s\S]*?)\n```/.exec(text.slice(at));
    if (block === null) throw new Error('a tested-example marker without a ```ts block after it');
    const code = block[1]!;
    out.push({ code, expected: [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!) });
  }
  return out;
}

/** Runs the example; resolves with what it printed once `main` settled. */
function run(code: string): Promise<string[]> {
  const js = ts.transpileModule(code.replace(/^void main\(\);$/m, 'module.exports = main();'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true },
    fileName: 'example.ts',
  }).outputText;
  const printed: string[] = [];
  const fakeConsole = {
    log: (...args: unknown[]) => void printed.push(format(...args)),
    error: (...args: unknown[]) => void printed.push(`error: ${format(...args)}`),
  };
  const fakeRequire = (name: string): unknown => {
    if (name in modules) return modules[name];
    throw new Error(`README examples may only import @grove packages, not ${name}`);
  };
  const module = { exports: {} as unknown };
  new Function('require', 'module', 'exports', 'console', js)(fakeRequire, module, module.exports, fakeConsole);
  return (module.exports as Promise<void>).then(() => printed);
}

describe('the global and rpc sections of the dist README', () => {
  const all = examples();

  it('has the tested examples', () => {
    expect(all).toHaveLength(2);
  });

  it.each(all.map((e, i) => [i + 1, e] as const))('runs example %i and prints what its comments say', async (_i, example) => {
    expect(await run(example.code)).toEqual(example.expected);
  });
});

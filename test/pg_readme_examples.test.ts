/**
 * The tested examples of packages/pg/README.md run, and print what their comments say.
 *
 * A code block after the marker `<!-- tested: pg readme example -->` is transpiled
 * (TypeScript, CommonJS) and run with @grove/core, @grove/dist and @grove/pg as its
 * imports. Each `console.log(...); // expected` line states its output, in order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as ts from 'typescript';
import * as core from '@grove/core';
import * as dist from '@grove/dist';
import * as pg from '@grove/pg';

const README = path.resolve(__dirname, '..', 'packages', 'pg', 'README.md');
const MARKER = '<!-- tested: pg readme example -->';
const modules: Record<string, unknown> = { '@grove/core': core, '@grove/dist': dist, '@grove/pg': pg };

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

function run(code: string, lines: number): Promise<string[]> {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: 'example.ts',
  }).outputText;
  return new Promise((resolve, reject) => {
    const printed: string[] = [];
    const timer = setTimeout(() => reject(new Error(`printed ${printed.length} of ${lines} lines: ${JSON.stringify(printed)}`)), 10_000);
    const fakeConsole = {
      log: (...args: unknown[]) => {
        printed.push(format(...args));
        if (printed.length === lines) {
          clearTimeout(timer);
          resolve(printed);
        }
      },
      error: (...args: unknown[]) => reject(new Error(`the example wrote an error: ${format(...args)}`)),
    };
    const fakeRequire = (name: string): unknown => {
      if (name in modules) return modules[name];
      throw new Error(`pg README examples may only import @grove packages, not ${name}`);
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', 'console', js)(fakeRequire, module, module.exports, fakeConsole);
  });
}

describe('the pg README', () => {
  const all = examples();

  it('has a tested example', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  it.each(all.map((e, i) => [i + 1, e] as const))('example %i prints what its comments say', async (_i, e) => {
    expect(await run(e.code, e.expected.length)).toEqual(e.expected);
  });
});

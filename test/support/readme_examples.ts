/**
 * The tested examples of the READMEs: a ```ts block after a marker comment
 * (`<!-- tested: ... -->`) is transpiled (TypeScript, CommonJS) and run in this
 * process with the @grove packages it may import. Each `console.log(...); // expected`
 * line states its output; the tests compare what the example printed, in order,
 * with those comments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import * as ts from 'typescript';

const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLE_TIMEOUT_MS = 10_000;

/** One tested code block. */
export interface ReadmeExample {
  /** The README, relative to the repository. */
  file: string;
  /** 1 for the first tested block of the file. */
  index: number;
  code: string;
  /** The `// expected` comments of its `console.log` lines, in order. */
  expected: string[];
}

/** The code blocks that follow `marker` in `file` (relative to the repository). */
export function readmeExamples(file: string, marker: string): ReadmeExample[] {
  const text = fs.readFileSync(path.join(REPO, file), 'utf8');
  const out: ReadmeExample[] = [];
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length)) {
    const block = /```ts\n([\s\S]*?)\n```/.exec(text.slice(at));
    if (block === null) throw new Error(`${file}: a tested-example marker without a \`\`\`ts block after it`);
    const code = block[1]!;
    const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!);
    out.push({ file, index: out.length + 1, code, expected });
  }
  return out;
}

/**
 * Runs `example` with `modules` (name to module) as the only imports it may have.
 * Resolves with what it printed (`console.error` lines as `error: ...`) once it
 * printed as many lines as its comments promise and, for an example that ends with
 * `void main();`, once `main` has settled; rejects after 10 s saying how far it got.
 */
export async function runExample(example: ReadmeExample, modules: Record<string, unknown>, compilerOptions: ts.CompilerOptions = {}): Promise<string[]> {
  const js = ts.transpileModule(example.code.replace(/^void main\(\);$/m, 'module.exports = main();'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, ...compilerOptions },
    fileName: 'example.ts',
  }).outputText;
  const printed: string[] = [];
  let allPrinted: () => void = () => {};
  const printedAll = new Promise<void>((resolve) => (allPrinted = resolve));
  const print = (line: string): void => {
    printed.push(line);
    if (printed.length >= example.expected.length) allPrinted();
  };
  const fakeConsole = {
    log: (...args: unknown[]) => print(format(...args)),
    error: (...args: unknown[]) => print(`error: ${format(...args)}`),
  };
  const fakeRequire = (name: string): unknown => {
    if (name in modules) return modules[name];
    throw new Error(`${example.file} examples may only import ${Object.keys(modules).join(', ')}, not ${name}`);
  };
  if (example.expected.length === 0) allPrinted();
  const module = { exports: {} as unknown };
  new Function('require', 'module', 'exports', 'console', js)(fakeRequire, module, module.exports, fakeConsole);
  const main = module.exports instanceof Promise ? module.exports : Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const what = `${example.file} example ${example.index} printed ${printed.length} of ${example.expected.length} lines`;
      reject(new Error(`${what} in ${EXAMPLE_TIMEOUT_MS} ms (or its main() did not settle): ${JSON.stringify(printed)}`));
    }, EXAMPLE_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all([printedAll, main]), late]);
    return [...printed];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Loading the module `grove run` runs: JavaScript with Node's own loaders, TypeScript
 * through tsx (esbuild-based, maintained; its register API hooks `require` and
 * `import`), rather than a hand-made compile step.
 *
 * The module must see the same @grove/core as the CLI (a Node made by the CLI must be
 * an `instanceof Node` to it, an Application class must extend the CLI's
 * Application): program_grove.ts makes the CLI use the program's own copy when it
 * has one, before any of Grove loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunModuleError, UsageError } from '../errors';

const TS_EXTENSIONS = ['.ts', '.cts', '.mts', '.tsx'];
const ESM_EXTENSIONS = ['.mjs', '.mts'];
/**
 * What `require` of an ES module in a `.js` file (a `"type": "module"` package) throws:
 * Node before 20.19 refuses every ES module, later ones one with top-level await.
 */
const REQUIRE_ESM_CODES = ['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE'];

/** A module's exports. */
export type ModuleExports = Record<string, unknown>;

// tsc (module: commonjs) would turn `import()` into `require()`; ESM needs the real one.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<ModuleExports>;

let tsxRegistered: 'cjs' | 'esm' | null = null;

/**
 * Loads `file` (relative to `cwd`) and returns its exports.
 *
 * @throws UsageError when the file does not exist; RunModuleError when it cannot be loaded.
 */
export async function loadModule(file: string, cwd: string = process.cwd()): Promise<ModuleExports> {
  const abs = path.resolve(cwd, file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new UsageError(`no such file: ${file}`, 'run');
  }
  if (!stat.isFile()) throw new UsageError(`not a file: ${file}`, 'run');
  const ext = path.extname(abs).toLowerCase();
  const esm = ESM_EXTENSIONS.includes(ext);
  try {
    if (TS_EXTENSIONS.includes(ext)) registerTsx(abs, esm ? 'esm' : 'cjs');
    if (esm) return await importEsm(pathToFileURL(abs).href);
    return require(abs) as ModuleExports;
  } catch (e) {
    if (e instanceof Error && REQUIRE_ESM_CODES.includes((e as NodeJS.ErrnoException).code ?? '')) {
      return importEsm(pathToFileURL(abs).href).catch((err: unknown) => {
        throw new RunModuleError(file, `it failed to load: ${messageOf(err)}`, { cause: err });
      });
    }
    throw new RunModuleError(file, `it failed to load: ${messageOf(e)}`, { cause: e });
  }
}

/** Hooks tsx into Node's loaders, using the tsconfig.json nearest to `file` (unless TSX_TSCONFIG_PATH says otherwise). */
function registerTsx(file: string, kind: 'cjs' | 'esm'): void {
  if (tsxRegistered === kind) return;
  if (process.env['TSX_TSCONFIG_PATH'] === undefined) {
    const tsconfig = nearestTsconfig(path.dirname(file));
    if (tsconfig !== undefined) process.env['TSX_TSCONFIG_PATH'] = tsconfig;
  }
  const api = require(kind === 'cjs' ? 'tsx/cjs/api' : 'tsx/esm/api') as { register: () => unknown };
  api.register();
  tsxRegistered = kind;
}

function nearestTsconfig(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'tsconfig.json');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

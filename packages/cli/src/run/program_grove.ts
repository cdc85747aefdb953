/**
 * `grove run FILE` with the program's own Grove: when FILE's folder resolves
 * `@grove/core` to another copy than the CLI's (a `grove` installed globally, or run
 * with npx, on a project with its own install), the CLI loads the program's
 * `@grove/core` (and its `@grove/distribution` and `@grove/pg` when it has them)
 * instead of its own, so that the Node the CLI makes is a Node to the program and
 * one copy of core is loaded. It runs before anything of Grove is loaded: the
 * command line is not parsed yet, so FILE is the first operand after `run` that
 * names an existing JavaScript or TypeScript file.
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

const PROGRAM_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx'];
/** The packages the CLI takes from the program when it has them (subpaths such as `@grove/distribution/internal` too). */
const SHARED = /^@grove\/(core|distribution|pg)(\/.*)?$/;

/** The folder of the program `grove run` is asked to run, or undefined for another command. */
export function programDir(argv: readonly string[], cwd: string = process.cwd()): string | undefined {
  if (argv[0] !== 'run') return undefined;
  for (const word of argv.slice(1)) {
    if (word.startsWith('-') || !PROGRAM_EXTENSIONS.includes(path.extname(word).toLowerCase())) continue;
    const abs = path.resolve(cwd, word);
    if (fs.existsSync(abs) && fs.statSync(abs).isFile()) return path.dirname(abs);
  }
  return undefined;
}

function resolveFrom(request: string, dir: string): string | undefined {
  try {
    return fs.realpathSync(require.resolve(request, { paths: [dir] }));
  } catch {
    return undefined;
  }
}

interface ResolvingModule {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
}

/**
 * When the program in `dir` has its own `@grove/core`, makes every `require` of a
 * shared Grove package resolve from `dir` first. Returns the program's core path, or
 * undefined when the CLI's own is used.
 */
export function preferProgramGrove(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  const theirs = resolveFrom('@grove/core', dir);
  if (theirs === undefined || theirs === resolveFrom('@grove/core', __dirname)) return undefined;
  const loader = Module as unknown as ResolvingModule;
  const original = loader._resolveFilename;
  const cache = new Map<string, string | null>();
  loader._resolveFilename = function (request, parent, isMain, options) {
    if (SHARED.test(request)) {
      let hit = cache.get(request);
      if (hit === undefined) {
        hit = resolveFrom(request, dir) ?? null;
        cache.set(request, hit);
      }
      if (hit !== null) return hit;
    }
    return original.call(this, request, parent, isMain, options);
  };
  return theirs;
}

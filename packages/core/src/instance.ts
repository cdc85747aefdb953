/**
 * One `@grove/core` per program. Two loaded copies make two sets of classes: a Node
 * of the one is no Node to the other, and the failure shows up much later as a
 * puzzling `BadArgError`. So the first copy to load records its version and folder
 * under a global symbol, and a second copy from another folder throws at import
 * time, naming both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the first loaded copy recorded. */
interface LoadedCore {
  readonly version: string;
  readonly path: string;
}

const KEY = Symbol.for('grove.core');

/** The folder of the package.json named @grove/core above this file, and its version. */
function packageOf(dir: string): LoadedCore {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === '@grove/core') return { path: d, version: typeof pkg.version === 'string' ? pkg.version : 'unknown' };
    } catch {
      // no package.json here (or not JSON): look further up
    }
    if (path.dirname(d) === d) return { path: dir, version: 'unknown' };
  }
}

function check(): void {
  const { path: root, version } = packageOf(__dirname);
  const registry = globalThis as { [KEY]?: LoadedCore };
  const first = registry[KEY];
  if (first === undefined) {
    registry[KEY] = Object.freeze({ version, path: root });
    return;
  }
  if (first.path === root) return;
  throw new Error(
    `@grove/core is loaded twice in this program: ${first.version} from ${first.path}, and ${version} from ${root}. ` +
      `Grove needs one copy (processes, pids and nodes of one copy mean nothing to the other): ` +
      `depend on @grove/core once, in the application (other Grove packages take it as a peer dependency), ` +
      `then \`npm ls @grove/core\` should list a single version and \`npm dedupe\` can merge the copies.`,
  );
}

check();

/**
 * A second copy of the built @grove/core in a temporary folder outside the
 * repository (package.json and dist/: core needs nothing else until it logs through
 * tslog, which is linked), as a program with its own install has it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const CORE = path.join(REPO, 'packages', 'core');

/** Makes `<tmp>/node_modules/@grove/core` (a copy) and returns `<tmp>`; remove it with `fs.rmSync(dir, { recursive: true })`. */
export function projectWithOwnCore(): string {
  if (!fs.existsSync(path.join(CORE, 'dist', 'index.js'))) throw new Error("packages/core/dist is missing: run 'npm run build' first (npm test does)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-own-core-'));
  const copy = path.join(dir, 'node_modules', '@grove', 'core');
  fs.mkdirSync(copy, { recursive: true });
  fs.copyFileSync(path.join(CORE, 'package.json'), path.join(copy, 'package.json'));
  fs.cpSync(path.join(CORE, 'dist'), path.join(copy, 'dist'), { recursive: true });
  fs.symlinkSync(fs.realpathSync(path.join(REPO, 'node_modules', 'tslog')), path.join(dir, 'node_modules', 'tslog'));
  return fs.realpathSync(dir);
}

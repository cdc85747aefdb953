/**
 * Grove in child OS processes, run from source so that a test never runs a stale
 * build: `transpilePackages()` (in beforeAll) writes `<dir>/node_modules/@grove/<pkg>`,
 * where a file in `<dir>` (or a fixture given GROVE_MODULES=<dir>) finds them;
 * `removeTranspiled()` (afterAll) deletes them. One folder per jest worker, which
 * runs its test files one at a time. `childEnv()` (from @grove/testing) is the
 * environment to run them in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const REPO = path.resolve(__dirname, '..', '..');
/** Under build/ so that the children resolve tslog, protobufjs... from the repo's node_modules. */
export const MODULES_DIR = path.join(REPO, 'build', `test-modules-${process.pid}`);

/** Transpiles `packages/<pkg>/src` of each package (its folders too) into {@link MODULES_DIR}. */
export function transpilePackages(pkgs: readonly string[] = ['core', 'distribution', 'pg', 'testing']): void {
  const base = ts.readConfigFile(path.join(REPO, 'tsconfig.base.json'), (f) => fs.readFileSync(f, 'utf8'));
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, REPO);
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, declaration: false, declarationMap: false, composite: false, incremental: false };
  for (const pkg of pkgs) {
    const src = path.join(REPO, 'packages', pkg, 'src');
    const out = path.join(MODULES_DIR, 'node_modules', '@grove', pkg);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ name: `@grove/${pkg}`, main: 'index.js' }));
    for (const file of fs.readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const js = ts.transpileModule(fs.readFileSync(path.join(src, file), 'utf8'), { compilerOptions, fileName: file });
      const target = path.join(out, file.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, js.outputText);
    }
  }
}

/** Removes what {@link transpilePackages} wrote. */
export function removeTranspiled(): void {
  fs.rmSync(MODULES_DIR, { recursive: true, force: true });
}

/** The environment of a child OS process: not under jest (so it behaves as for a user), quiet JSON logs. */
export { childEnv } from '@grove/testing';

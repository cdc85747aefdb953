/**
 * The packages are built with class fields assigned in the constructor
 * (`useDefineForClassFields: false`; bench/PROFILE-core.md, "Class fields"), and jest
 * runs their sources compiled the same way, so that the tests run the code users get.
 * Tests and examples keep TypeScript's default (defined fields), as a user's code has.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const SNIPPET = 'export class A { x!: number; y = 1; }\n';

const jestConfig = require(path.join(REPO, 'jest.config.js')) as { transform: Record<string, unknown> };
const transpileSrc = require(path.join(REPO, 'scripts', 'jest-transpile-src.js')) as { process(src: string, file: string): { code: string } };

/** The transform jest applies to `file`: the first pattern that matches it, as jest picks. */
function transformFor(file: string): unknown {
  const hit = Object.entries(jestConfig.transform).find(([pattern]) => new RegExp(pattern).test(file));
  return hit?.[1];
}

class Local {
  z!: number;
}

describe('build options', () => {
  it('every package assigns class fields in the constructor', () => {
    const packages = fs.readdirSync(path.join(REPO, 'packages')).filter((p) => fs.existsSync(path.join(REPO, 'packages', p, 'tsconfig.json')));
    expect(packages.length).toBeGreaterThanOrEqual(7);
    for (const p of packages) {
      const cfg = JSON.parse(fs.readFileSync(path.join(REPO, 'packages', p, 'tsconfig.json'), 'utf8')) as { compilerOptions: { useDefineForClassFields?: boolean } };
      expect([p, cfg.compilerOptions.useDefineForClassFields]).toEqual([p, false]);
    }
  });

  it("jest compiles the packages' sources with that option, and tests with TypeScript's default", () => {
    expect(transformFor(path.join(REPO, 'packages', 'core', 'src', 'gen.ts'))).toBe('<rootDir>/scripts/jest-transpile-src.js');
    expect(transformFor(path.join(REPO, 'packages', 'core', 'test', 'gen_statem.test.ts'))).not.toBe('<rootDir>/scripts/jest-transpile-src.js');
    const out = transpileSrc.process(SNIPPET, path.join(REPO, 'packages', 'core', 'src', 'snippet.ts')).code;
    expect(out).toMatch(/this\.y = 1/);
    expect(out).not.toMatch(/^\s*x;/m);
    // This file is a test: its own class keeps defined fields (an own property, undefined).
    expect(Object.prototype.hasOwnProperty.call(new Local(), 'z')).toBe(true);
  });
});

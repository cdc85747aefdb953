/**
 * One @grove/core per program: a second copy loaded from another folder throws at
 * import time, naming both; the same copy required again is the same module.
 */
import { Node } from '@grove/core';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CORE, projectWithOwnCore } from '../../../test/support/core_copy';

const run = promisify(execFile);
let project: string;

beforeAll(() => {
  project = projectWithOwnCore();
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

async function node(script: string): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['-e', script], { cwd: project });
    return { code: 0, stderr: '' };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

describe('one @grove/core per program', () => {
  it('a second copy from another folder throws at import time, naming both folders and the version', async () => {
    const theirs = path.join(project, 'node_modules', '@grove', 'core');
    const { code, stderr } = await node(`require(${JSON.stringify(CORE)}); require('@grove/core');`);
    expect(code).toBe(1);
    expect(stderr).toContain(`@grove/core is loaded twice in this program: 0.1.0 from ${fs.realpathSync(CORE)}, and 0.1.0 from ${theirs}`);
    expect(stderr).toContain('npm ls @grove/core');
  });

  it('one copy, required by several modules and paths, loads fine', async () => {
    const { code, stderr } = await node(`const a = require('@grove/core'); const b = require(${JSON.stringify(path.join(project, 'node_modules/@grove/core/dist/index.js'))}); if (a !== b || typeof a.Node !== 'function') process.exit(3);`);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('the copy that jest loaded records itself under Symbol.for("grove.core")', () => {
    expect(Node).toBeInstanceOf(Function);
    const loaded = (globalThis as Record<symbol, unknown>)[Symbol.for('grove.core')] as { version: string; path: string };
    expect(loaded).toEqual({ version: '0.1.0', path: fs.realpathSync(CORE) });
  });
});

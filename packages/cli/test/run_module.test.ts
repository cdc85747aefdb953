/**
 * `grove run` where a module or application misbehaves, and ES modules in `.js`
 * files, as a user runs it (the built binary as a child OS process). The common
 * cases are in test/cli_run.test.ts.
 */
import * as path from 'node:path';
import { groveRun, killChildren, REPO, requireBuild } from '../../../test/fixtures/cli_harness';

const fixture = (name: string): string => path.relative(REPO, path.join(__dirname, 'fixtures', name));

describe('grove run, the less travelled paths', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('imports a .js ES module with top-level await from a "type": "module" package', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('esm_pkg/main.js'), 'a', 'b']);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'hello from an ES module .js on nonode@nohost: a b\n', stderr: '' });
  });
});

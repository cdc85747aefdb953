/**
 * `grove run` where a module or application misbehaves, and ES modules in `.js`
 * files, as a user runs it (the built binary as a child OS process). The common
 * cases are in test/cli_run.test.ts.
 */
import * as path from 'node:path';
import { grove, groveRun, killChildren, REPO, requireBuild } from '../../../test/fixtures/cli_harness';

const fixture = (name: string): string => path.relative(REPO, path.join(__dirname, 'fixtures', name));

describe('grove run, the less travelled paths', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('imports a .js ES module with top-level await from a "type": "module" package', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('esm_pkg/main.js'), 'a', 'b']);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'hello from an ES module .js on nonode@nohost: a b\n', stderr: '' });
  });

  it('exits 1 and says which application did not start, and why', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('apps.js'), 'fail'], []);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^grove run: application Misbehaving did not start: .*no database to open/);
  });

  it('exits 130 at once on a second signal while the first is still stopping the applications', async () => {
    const g = grove(['run', fixture('apps.js'), 'hang']);
    await g.waitFor('started\n');
    g.signal('SIGTERM');
    await g.waitFor('stopping, never done\n');
    g.signal('SIGINT');
    expect(await g.exited).toEqual({ code: 130, signal: null });
    expect(g.stderr).toBe('grove run: stopping at once\n');
  });
});

/**
 * `grove run` on a program with its own @grove/core (a project outside the
 * repository with its own install): the CLI uses the program's copy, so the Node it
 * hands to main is a Node of the program's core, and only one core is loaded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { groveRun, killChildren, requireBuild } from '../../../test/fixtures/cli_harness';
import { projectWithOwnCore } from '../../../test/support/core_copy';

let project: string;

beforeAll(() => {
  requireBuild();
  project = projectWithOwnCore();
  fs.writeFileSync(
    path.join(project, 'main.js'),
    [
      "const core = require('@grove/core');",
      'exports.main = (node) => {',
      "  console.log(`own core: ${node instanceof core.Node}, loaded from ${globalThis[Symbol.for('grove.core')].path}`);",
      '  return 0;',
      '};',
      '',
    ].join('\n'),
  );
});
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));
afterEach(killChildren);

describe("grove run with the program's own @grove/core", () => {
  it('hands main a Node of the core the program imports', async () => {
    const { code, stdout, stderr } = await groveRun(['run', path.join(project, 'main.js')]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(`own core: true, loaded from ${path.join(project, 'node_modules', '@grove', 'core')}\n`);
  });
});

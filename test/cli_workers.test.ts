/**
 * `grove run --workers N FILE`: worker-thread nodes `<alive>_1@host`, ... in the same OS
 * process, each loading FILE (JavaScript, or TypeScript through tsx) and running its
 * `worker(node, info)`, while the main node runs `main`; and the usage errors.
 */
import * as path from 'node:path';
import { FIXTURES, groveRun, REPO, requireBuild, useDistEnv } from './fixtures/cli_harness';

/** Each test's own port mapper port and HOME (jest hooks; see useDistEnv). */
const t = useDistEnv();

const fixture = (name: string): string => path.relative(REPO, path.join(FIXTURES, name));

describe('grove run --workers', () => {
  beforeAll(requireBuild);

  it('starts worker nodes in threads that run the module\'s worker(), beside main()', async () => {
    const { code, stdout, stderr } = await groveRun(['run', '--name', 'app@127.0.0.1', '--cookie', 'c', '--workers', '2', fixture('cli_workers.js')], [], t.env, 30_000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('app_1@127.0.0.1 squared 2: 4 (thread worker)\napp_2@127.0.0.1 squared 3: 9 (thread worker)\n');
  });

  it('loads a TypeScript module in the worker threads too', async () => {
    const { code, stdout, stderr } = await groveRun(['run', '--name', 'ts@127.0.0.1', '--cookie', 'c', '--workers', '2', fixture('cli_workers.ts')], [], t.env, 30_000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('ts worker 1 of 2 on ts_1@127.0.0.1\nts worker 2 of 2 on ts_2@127.0.0.1\n');
  });

  it.each([
    [['--workers', '2'], /--workers needs --sname or --name/],
    [['--name', 'a@127.0.0.1', '--workers', 'many'], /--workers many: expected a number of threads from 1 to 256, or auto/],
    [['--name', 'a@127.0.0.1', '--workers', '0'], /expected a number of threads/],
  ])('refuses %j with a usage error', async (flags, message) => {
    const { code, stderr } = await groveRun(['run', ...flags, fixture('cli_workers.js')], [], t.env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

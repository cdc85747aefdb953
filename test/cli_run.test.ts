/**
 * `grove run FILE [args]` as a user runs it: main(node, args) in JavaScript and in
 * TypeScript, exit codes, an Application started with its dependency and stopped in
 * order on SIGTERM and SIGINT, and the errors for modules that cannot run.
 */
import * as path from 'node:path';
import { FIXTURES, grove, groveEnv, groveRun, killChildren, REPO, requireBuild } from './fixtures/cli_harness';

// Relative to the repository, where the children run: short test names.
const fixture = (name: string): string => path.relative(REPO, path.join(FIXTURES, name));

describe('grove run', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('calls main(node, args) of a JavaScript module with the words after FILE', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('cli_main.js'), 'echo', 'hello', '--not-grove-s']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('main on nonode@nohost args ["echo","hello","--not-grove-s"] echo "hello --not-grove-s"\n');
  });

  it('runs a TypeScript module through tsx', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('cli_main.ts'), 'Ada']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('ts main on nonode@nohost: hello, Ada\n');
  });

  it('runs an ES module', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('cli_main.mjs'), 'a', 'b']);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'esm main on nonode@nohost: 2 args\n', stderr: '' });
  });

  it('exits with the number main resolves to', async () => {
    const { code, stdout } = await groveRun(['run', fixture('cli_main.js'), 'exit', '3']);
    expect(code).toBe(3);
    expect(stdout).toContain('args ["exit","3"]');
  });

  it('exits 0 once a local node whose main returned nothing has nothing left to do', async () => {
    const { code, stdout } = await groveRun(['run', fixture('cli_main.js'), 'stay']);
    expect(code).toBe(0);
    expect(stdout).toContain('staying\n');
  });

  it('exits 1 and shows the error when main throws', async () => {
    const { code, stdout, stderr } = await groveRun(['run', fixture('cli_main.js'), 'throw']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^grove run: main failed: Error: main was told to throw/);
  });

  it.each([
    ['SIGTERM' as const],
    ['SIGINT' as const],
  ])('starts an Application after its dependency, and on %s stops them in reverse order and exits 0', async (sig) => {
    const g = grove(['run', fixture('cli_app.js'), 'x', 'y']);
    await g.waitFor('started App with ["x","y"]\n');
    g.signal(sig);
    expect(await g.exited).toEqual({ code: 0, signal: null });
    expect(g.stdout).toBe('started Store\nstarted App with ["x","y"]\nstopped App\nstopped Store\n');
    expect(g.stderr).toBe('');
  });

  it('runs a TypeScript Application whose GenServer is routed by decorators, and stops it on SIGTERM', async () => {
    const g = grove(['run', fixture('cli_app.ts'), '7']);
    await g.waitFor('CounterApp started on nonode@nohost, counter at 7\n');
    g.signal('SIGTERM');
    expect(await g.exited).toEqual({ code: 0, signal: null });
    expect(g.stdout).toBe('CounterApp started on nonode@nohost, counter at 7\nCounterApp stopped\n');
  });

  it('stops the node and exits 1 when its permanent application dies', async () => {
    // The crash and supervisor reports are logged at error level: silence them here.
    const { code, stdout, stderr } = await groveRun(['run', fixture('cli_app.js'), 'die'], [], groveEnv({ GROVE_LOG_LEVEL: 'silent' }));
    expect(code).toBe(1);
    // App's root is gone already; its stop() runs (as OTP), then its dependency is stopped.
    expect(stdout).toBe('started Store\nstarted App with ["die"]\nstopped App\nstopped Store\n');
    expect(stderr).toBe('grove run: application App exited (shutdown); stopping the node\n');
  });

  it.each([
    [['run', 'no/such/file.js'], 2, /^grove run: no such file: no\/such\/file\.js\nRun 'grove run --help' for usage\.\n$/],
    [['run', fixture('')], 2, /^grove run: not a file: /],
    [['run', fixture('cli_nothing.js')], 1, /cannot run .*cli_nothing\.js: it exports neither main\(node, args\) nor an Application class\n$/],
    [['run', fixture('cli_two_apps.js')], 1, /cli_two_apps\.js: it exports several Application classes \(First, Second\); export the one to run as default\n$/],
    [['run', fixture('cli_args.txt')], 2, /no such file/],
    [['run', fixture('cli_broken.js')], 1, /^grove run: cannot run test\/fixtures\/cli_broken\.js: it failed to load: Error: broken at load time\n/],
  ])('refuses %j with exit code %i and a clear message', async (args, exitCode, message) => {
    const { code, stdout, stderr } = await groveRun(args);
    expect({ code, stdout }).toEqual({ code: exitCode, stdout: '' });
    expect(stderr).toMatch(message);
  });
});

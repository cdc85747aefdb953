/**
 * What the `grove` binary prints for help and for command lines it refuses, and its
 * exit codes: 0 for help, 2 for a usage error (message and hint on stderr).
 */
import { groveRun, killChildren, requireBuild } from './fixtures/cli_harness';

describe('grove help and usage errors', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('prints the general help with --help and exits 0', async () => {
    const { code, stdout, stderr } = await groveRun(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Usage: grove COMMAND \[options\]\n/);
    for (const cmd of ['shell', 'run', 'ping', 'names']) expect(stdout).toMatch(new RegExp(`\\n  ${cmd} +\\S`));
  });

  it.each([['shell'], ['run'], ['ping'], ['names']])('prints the help of grove %s with --help', async (cmd) => {
    const { code, stdout } = await groveRun([cmd, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: grove ${cmd}\\b`));
  });

  it('prints its version', async () => {
    const { code, stdout } = await groveRun(['--version']);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'grove 0.1.0\n' });
  });

  it.each([
    [[], "grove: missing command\nRun 'grove --help' for usage.\n"],
    [['bogus'], 'grove: unknown command "bogus"; the commands are shell, run, ping, names, certs, new, top, observer\nRun \'grove --help\' for usage.\n'],
    [['shell', '--sname'], "grove shell: --sname needs a value\nRun 'grove shell --help' for usage.\n"],
    [['shell', '--hidden'], "grove shell: --hidden needs --sname or --name: a node without a name is not distributed\nRun 'grove shell --help' for usage.\n"],
    [['ping', 'nobody'], 'grove ping: NODE "nobody" is not a node name: must be alive@host with exactly one @\nRun \'grove ping --help\' for usage.\n'],
    [['run', '--name', 'x@y'], "grove run: --name x@y: a long name has a fully qualified host or an IP address (alice@box.example.com, alice@10.0.0.5) (for a short name use --sname)\nRun 'grove run --help' for usage.\n"],
  ])('refuses %j: exit 2, the message and a hint on stderr, nothing on stdout', async (args, message) => {
    const { code, stdout, stderr } = await groveRun(args);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: message });
  });
});

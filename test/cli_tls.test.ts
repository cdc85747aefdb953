/**
 * `grove shell` over TLS, from the command line only, as an operator starts a TLS
 * cluster: `grove certs` makes the files, `--tls-dir` (or `--tls-cert`, `--tls-key`,
 * `--tls-ca`) hands them to each shell. Each test gets its own port mapper port, HOME
 * and certificate directory, and kills its children.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, groveEnv, groveRun, killChildren, requireBuild, ShellDriver, tempHome } from './fixtures/cli_harness';

const COOKIE = 'cli-tls-test-cookie';
const ALICE = 'alice@127.0.0.1';
const BOB = 'bob@127.0.0.1';
const CAROL = 'carol@127.0.0.1';

let env: NodeJS.ProcessEnv;
let home: string;
let certs: string;

/** A shell of node `node` with the test's cookie and `flags`, ready (its first prompt shown). */
function shell(node: string, flags: string[], e: NodeJS.ProcessEnv = env): Promise<ShellDriver> {
  return ShellDriver.start(node, ['shell', '--name', node, '--cookie', COOKIE, ...flags], e);
}

describe('grove shell with TLS distribution', () => {
  beforeAll(requireBuild);
  beforeEach(async () => {
    home = tempHome();
    certs = path.join(home, 'certs');
    env = groveEnv({ GROVE_EPMD_PORT: String(await freePort()), HOME: home });
  });
  afterEach(async () => {
    await killChildren();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('runs shells over TLS with the files grove certs made: they ping and send to each other', async () => {
    expect((await groveRun(['certs', '--dir', certs, ALICE, BOB], [], env)).code).toBe(0);
    const alice = await shell(ALICE, ['--tls-dir', certs]);
    const bob = await shell(BOB, ['--tls-cert', path.join(certs, `${BOB}.crt`), '--tls-key', path.join(certs, `${BOB}.key`), '--tls-ca', path.join(certs, 'ca.crt')]);
    expect(await alice.eval(`ping("${BOB}")`)).toBe("'pong'");
    expect(await bob.eval('nodes()')).toBe(`[ '${ALICE}' ]`);
    await bob.eval('register("bobshell")');
    await alice.eval(`send(["bobshell", "${BOB}"], "over TLS")`);
    expect(await bob.eval('receive()')).toBe("'over TLS'");
  });

  it('refuses to start a shell whose certificate is issued to another node, and says why', async () => {
    await groveRun(['certs', '--dir', certs, ALICE], [], env);
    const flags = ['--tls-cert', path.join(certs, `${ALICE}.crt`), '--tls-key', path.join(certs, `${ALICE}.key`), '--tls-ca', path.join(certs, 'ca.crt')];
    const { code, stdout, stderr } = await groveRun(['shell', '--name', 'mallory@127.0.0.1', '--cookie', COOKIE, ...flags], [], env);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(
      /^grove shell: mallory@127\.0\.0\.1: cannot use this TLS certificate: the certificate is issued to alice@127\.0\.0\.1, not to mallory@127\.0\.0\.1: its subject CN must be the node's full name\. See "TLS" in @grove\/distribution's README/,
    );
  });

  it('points at grove certs when --tls-dir lacks the node\'s files', async () => {
    await groveRun(['certs', '--dir', certs, ALICE], [], env);
    const { code, stderr } = await groveRun(['shell', '--name', CAROL, '--tls-dir', certs], [], env);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `grove shell: --tls-dir ${certs}: cannot read ${path.join(certs, `${CAROL}.crt`)} (no such file); 'grove certs --dir ${certs} NODE' makes a node's files\nRun 'grove shell --help' for usage.\n`,
    );
  });

  it('says in a shell without TLS why it cannot reach a TLS node', async () => {
    await groveRun(['certs', '--dir', certs, ALICE], [], env);
    await shell(ALICE, ['--tls-dir', certs]);
    const carol = await shell(CAROL, [], { ...env, GROVE_LOG_LEVEL: 'warn' });
    const out = await carol.eval(`ping("${ALICE}")`);
    expect(out).toMatch(/carol@127\.0\.0\.1: cannot connect to alice@127\.0\.0\.1: it uses TLS and this node does not: give every node the same tls options/);
    expect(out).toMatch(/'pang'$/);
  });
});

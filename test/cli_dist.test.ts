/**
 * The `grove` command with distribution, across OS processes as a user runs it:
 * shells that are nodes, ping each other and send to each other; `grove ping`,
 * `grove names` with running nodes; cookie resolution; `grove run` of an application
 * on a named node called from a shell; the distribution settings flags together.
 * Each test gets its own port mapper port (never 4369) and HOME (so the cookie file
 * is its own), and kills its children.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, groveEnv, groveRun, requireBuild, useDistEnv, FIXTURES, REPO, grove, ShellDriver } from './fixtures/cli_harness';

/** Each test's own port mapper port and HOME (jest hooks; see useDistEnv). */
const t = useDistEnv();

const COOKIE = 'cli-dist-test-cookie';


function name(alive: string): string {
  return `${alive}@127.0.0.1`;
}

/** A shell on node `alive@127.0.0.1`, ready (its first prompt shown). */
function shellNode(alive: string, extra: string[] = ['--cookie', COOKIE], e: NodeJS.ProcessEnv = t.env): Promise<ShellDriver> {
  return ShellDriver.start(name(alive), ['shell', '--name', name(alive), ...extra], e);
}

/** A range of `n` consecutive ports that were free a moment ago. */
async function freeRange(n: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + n > 65535) continue;
    const ok = await Promise.all(
      Array.from({ length: n }, (_, i) => new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
      })),
    );
    if (ok.every(Boolean)) return base;
  }
}

describe('grove with distribution', () => {
  beforeAll(requireBuild);

  it('runs two shells that ping each other, list each other, and send to each other', async () => {
    const alice = await shellNode('alice');
    const bob = await shellNode('bob');
    expect(await alice.eval(`ping("${name('bob')}")`)).toBe("'pong'");
    expect(await alice.eval('nodes()')).toBe(`[ '${name('bob')}' ]`);
    expect(await bob.eval('nodes()')).toBe(`[ '${name('alice')}' ]`);
    expect(await bob.eval('register("bobshell")')).toBe('true');
    await alice.eval(`send(["bobshell", "${name('bob')}"], { hello: "from alice", from: self() })`);
    const got = await bob.eval('const m = await receive(); m');
    expect(got).toMatch(new RegExp(`^\\{ hello: 'from alice', from: #PID<${name('alice').replace(/\./g, '\\.')}\\.\\d+\\.0> \\}$`));
    await bob.eval('send(m.from, ["hi", node()])');
    // The reply crosses the wire: wait for it in alice's mailbox, then flush it.
    expect(await alice.eval('receive((m) => Array.isArray(m), 5000)')).toBe(`[ 'hi', '${name('bob')}' ]`);
    // Order from one sender is kept: once "third" is there, so is "second", which
    // the selective receive leaves in the mailbox for flush().
    await bob.eval('send(m.from, "second"); send(m.from, "third")');
    expect(await alice.eval('receive((m) => m === "third", 5000)')).toBe("'third'");
    expect(await alice.eval('flush()')).toBe("Shell got 'second'\n'ok'");
  });

  it('registers a spawnable in one shell that another spawns, and takes the promise spawn returns wherever a pid goes', async () => {
    const alice = await shellNode('alice');
    const bob = await shellNode('bob');
    expect(await bob.eval('registerSpawnable("echo", async (ctx) => { for (;;) { const m = await ctx.receive(); ctx.send(m.from, { echo: m.text }) } })')).toBe("'ok'");
    // spawn(node, ...) returns a promise: send, link and monitor take it as it is.
    await alice.eval(`const p = spawn("${name('bob')}", "echo", [])`);
    await alice.eval('send(p, { from: self(), text: "hi" })');
    expect(await alice.eval('receive((m) => m.echo !== undefined, 5000)')).toBe("{ echo: 'hi' }");
    expect(await alice.eval('const ref = await monitor(p); exit(p, "kill")')).toBe('true');
    expect(await alice.eval('(await receive((m) => m.type === "DOWN", 5000)).reason')).toBe("'killed'");
    expect(await bob.eval('unregisterSpawnable("echo")')).toBe('true');
    expect(await alice.eval(`spawn("${name('bob')}", "echo", []).catch((e) => e.reason)`)).toBe("'unknown_spawnable'");
  });

  it('starts a GenServer class typed at the prompt on thisNode() under a global name, which the other shell calls', async () => {
    const alice = await shellNode('alice');
    const bob = await shellNode('bob');
    await alice.eval('const { GenServer } = require("@grove/core")');
    await alice.eval('class Counter extends GenServer { init(n) { this.n = n } handleCall(req) { return req === "next" ? ++this.n : this.n } }');
    expect(await alice.eval('String(await Counter.start(thisNode(), 41, { name: global.via("counter") })) === String(global.whereis("counter"))')).toBe('true');
    expect(await bob.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await bob.eval('await global.sync(); call({ global: "counter" }, "next")')).toBe('42');
    expect(await alice.eval('global.help().toString().includes("resolve")')).toBe('true');
  });

  it('registers a global name in one shell that another finds and sends to, and calls functions the first exposed for rpc', async () => {
    const alice = await shellNode('alice');
    const bob = await shellNode('bob');
    expect(await alice.eval('global.register("alice_shell")')).toBe('true');
    expect(await alice.eval('rpc.expose("math", { add: (a, b) => a + b })')).toBe('{ add: [Function: add] }');
    expect(await bob.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await bob.eval('await global.sync(); global.registeredNames()')).toBe("[ 'alice_shell' ]");
    expect(await bob.eval('global.whereis("alice_shell")')).toMatch(/^#PID<alice@127\.0\.0\.1\.\d+\.0>$/);
    expect(await bob.eval('global.register("alice_shell")')).toBe('false');
    await bob.eval('send({ global: "alice_shell" }, "via global")');
    expect(await alice.eval('receive((m) => m === "via global", 5000)')).toBe("'via global'");
    expect(await bob.eval(`rpc.call("${name('alice')}", "math", "add", [2, 3])`)).toBe('5');
    expect(await bob.eval(`rpc.call("${name('alice')}", "math", "mul", [2, 3])`)).toMatch(/^Uncaught:\n\[RpcError: rpc math\.mul on alice@127\.0\.0\.1: not exposed/);
  });

  it('shares process groups between shells: a join on one node shows in the other', async () => {
    const alice = await shellNode('alice');
    const bob = await shellNode('bob');
    expect(await bob.eval('const { ref } = await pg.monitor("room"); ref !== undefined')).toBe('true');
    await alice.eval('pg.join("room")');
    expect(await bob.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    // The join reaches bob's scope when the scopes sync: bob's monitor tells the shell.
    expect(await bob.eval('(await receive((m) => m.type === "pg" && m.event === "join", 5000)).pids')).toMatch(/^\[ #PID<alice@127\.0\.0\.1\.\d+\.0> \]$/);
    expect(await bob.eval('pg.getMembers("room").map(String)')).toMatch(/^\[ '#PID<alice@127\.0\.0\.1\.\d+\.0>' \]$/);
  });

  it('tells the shell of nodeup and nodedown after monitorNodes()', async () => {
    const alice = await shellNode('alice');
    expect(await alice.eval('monitorNodes()')).toBe("'ok'");
    const carol = await shellNode('carol');
    expect(await carol.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await alice.eval('receive((m) => m.type === "nodeup", 5000)')).toBe(`{ type: 'nodeup', node: '${name('carol')}', nodeType: 'visible' }`);
    carol.g.end();
    expect(await carol.g.exited).toEqual({ code: 0, signal: null });
    expect(await alice.eval('receive((m) => m.type === "nodedown", 5000)')).toMatch(new RegExp(`type: 'nodedown',\\s+node: '${name('carol')}',\\s+nodeType: 'visible',\\s+reason: 'connection_closed'`));
  });

  it('keeps a --hidden shell out of nodes(), listing it under nodes("hidden")', async () => {
    const alice = await shellNode('alice');
    const ghost = await shellNode('ghost', ['--cookie', COOKIE, '--hidden']);
    expect(await ghost.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await alice.eval('nodes()')).toBe('[]');
    expect(await alice.eval('nodes("hidden")')).toBe(`[ '${name('ghost')}' ]`);
  });

  it('pings from the command line: pong and exit 0, pang and exit 1 for a wrong cookie or no node', async () => {
    await shellNode('alice');
    expect(await groveRun(['ping', name('alice'), '--cookie', COOKIE], [], t.env)).toEqual({ code: 0, stdout: 'pong\n', stderr: '' });
    expect(await groveRun(['ping', name('alice'), '--cookie', 'wrong'], [], t.env)).toEqual({ code: 1, stdout: 'pang\n', stderr: '' });
    expect(await groveRun(['ping', name('nobody'), '--cookie', COOKIE], [], t.env)).toEqual({ code: 1, stdout: 'pang\n', stderr: '' });
  });

  it('lists two running nodes with grove names', async () => {
    await shellNode('alice');
    await shellNode('bob');
    const { code, stdout } = await groveRun(['names'], [], t.env);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`epmd: up and running on port ${t.env['GROVE_EPMD_PORT']} with data:`);
    expect(lines.slice(1).map((l) => l.replace(/[0-9]+$/, 'N')).sort()).toEqual(
      expect.arrayContaining(['name alice at port N', 'name bob at port N']),
    );
  });

  it('resolves the cookie from GROVE_COOKIE, then from the cookie file', async () => {
    fs.writeFileSync(path.join(t.home, '.grove.cookie'), 'from-the-file\n', { mode: 0o600 });
    await shellNode('alice', [], groveEnv({ ...t.env, GROVE_COOKIE: 'from-the-env' }));
    await shellNode('bob', []);
    expect((await groveRun(['ping', name('alice')], [], groveEnv({ ...t.env, GROVE_COOKIE: 'from-the-env' }))).stdout).toBe('pong\n');
    expect((await groveRun(['ping', name('bob')], [], t.env)).stdout).toBe('pong\n');
    expect((await groveRun(['ping', name('alice')], [], t.env)).stdout).toBe('pang\n');
    expect((await groveRun(['ping', name('bob'), '--cookie', 'from-the-file'], [], groveEnv({ ...t.env, GROVE_COOKIE: 'from-the-env' }))).stdout).toBe('pong\n');
  });

  it('refuses a cookie file that others can read, saying how to fix it', async () => {
    const file = path.join(t.home, '.grove.cookie');
    fs.writeFileSync(file, 'secret\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const { code, stderr } = await groveRun(['shell', '--name', name('alice')], [], t.env);
    expect(code).toBe(1);
    expect(stderr).toContain(`chmod 600 ${file}`);
  });

  it('refuses a second node with a name already running', async () => {
    await shellNode('alice');
    const { code, stdout, stderr } = await groveRun(['shell', '--name', name('alice'), '--cookie', COOKIE], [], t.env);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^grove shell: .*alice/);
  });

  it('keeps a named node up after main returns nothing, until SIGTERM', async () => {
    const app = grove(['run', '--name', name('svc'), '--cookie', COOKIE, path.relative(REPO, path.join(FIXTURES, 'cli_main.js')), 'stay'], t.env);
    await app.waitFor('staying\n');
    expect(await groveRun(['ping', name('svc'), '--cookie', COOKIE], [], t.env)).toEqual({ code: 0, stdout: 'pong\n', stderr: '' });
    app.signal('SIGTERM');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.stdout).toBe(`main on ${name('svc')} args ["stay"] echo ""\nstaying\n`);
  });

  it('names a node with --sname as alive@<short host name>', async () => {
    const s = grove(['shell', '--sname', 'shorty', '--cookie', COOKIE], t.env);
    s.write('node()');
    const host = (await s.waitFor(/\(shorty@([^)]+)\)1> /))[1]!;
    expect(host).not.toContain('.');
    await s.waitFor(`(shorty@${host})2> `);
    expect(s.stdout).toContain(`'shorty@${host}'`);
  });

  it('runs an application on a named node that a shell on another node calls, and stops it on SIGTERM', async () => {
    const app = grove(['run', '--name', name('app'), '--cookie', COOKIE, path.relative(REPO, path.join(FIXTURES, 'cli_app.ts')), '7'], t.env);
    await app.waitFor(`CounterApp started on ${name('app')}, counter at 7\n`);
    const alice = await shellNode('alice');
    expect(await alice.eval(`call(["counter", "${name('app')}"], ["add", 5])`)).toBe('12');
    expect(await alice.eval(`call(["counter", "${name('app')}"], "get")`)).toBe('12');
    await alice.eval('monitorNodes()');
    app.signal('SIGTERM');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.stdout).toContain('CounterApp stopped\n');
    expect(await alice.eval('receive((m) => m.type === "nodedown", 5000)')).toMatch(new RegExp(`type: 'nodedown',\\s+node: '${name('app')}'`));
  });

  it('takes the distribution settings: listens in a port range, connects at start (visible and hidden), keeps out of the mesh and refuses nodes not allowed', async () => {
    const min = await freeRange(4);
    const bob = await shellNode('bob', ['--cookie', COOKIE, '--port-range', `${min}-${min + 3}`, '--listen', '127.0.0.1', '--net-ticktime', '20']);
    const carol = await shellNode('carol', ['--cookie', COOKIE, '--connect', name('bob')]);
    const dave = await shellNode('dave', ['--cookie', COOKIE, '--hidden-connect', name('bob')]);
    const alice = await shellNode('alice', ['--cookie', COOKIE, '--no-connect-all', '--allow', name('bob'), '--allow', name('carol'), '--connect', name('bob')], { ...t.env, GROVE_LOG_LEVEL: 'warn' });

    const dist = 'require("@grove/distribution").distOf(thisNode())';
    const port = Number(await bob.eval(`${dist}.address.port`));
    expect(port).toBeGreaterThanOrEqual(min);
    expect(port).toBeLessThanOrEqual(min + 3);
    expect(await bob.eval(`${dist}.address.host`)).toBe("'127.0.0.1'");
    expect(await bob.eval(`${dist}.netTickTimeMs`)).toBe('20000');

    // Connected at start: carol and alice visibly, dave hidden.
    expect(await bob.eval('nodes().sort()')).toBe(`[ '${name('alice')}', '${name('carol')}' ]`);
    expect(await bob.eval('nodes("hidden")')).toBe(`[ '${name('dave')}' ]`);
    expect(await dave.eval('nodes()')).toBe('[]');
    expect(await dave.eval('nodes("hidden")')).toBe(`[ '${name('bob')}' ]`);
    // bob told alice it knows carol (whom alice allows), but alice does not mesh.
    expect(await bob.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await alice.eval('nodes("connected")')).toBe(`[ '${name('bob')}' ]`);
    expect(await carol.eval('nodes("connected")')).toBe(`[ '${name('bob')}' ]`);

    // dave is not in alice's allow list: refused, and alice says why.
    expect(await dave.eval(`ping("${name('alice')}")`)).toBe("'pang'");
    await alice.g.waitFor(`refused: ${name('dave')} is not in the allow list (net_kernel:allow)`);
    expect(await carol.eval(`ping("${name('alice')}")`)).toBe("'pong'");
    expect(await alice.eval('nodes().sort()')).toBe(`[ '${name('bob')}', '${name('carol')}' ]`);
  });
});

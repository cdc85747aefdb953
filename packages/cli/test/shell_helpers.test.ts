/**
 * `grove shell` helpers and behaviours that test/cli_shell.test.ts does not reach:
 * helpers refusing bad arguments, links and monitors from the shell process, the
 * shell process replaced while idle, names, the help of global/rpc/pg, and a
 * reader that closes the output pipe. A local shell as a child OS process, driven
 * one line at a time.
 */
import { spawn } from 'node:child_process';
import { BIN, grove, groveEnv, killChildren, REPO, requireBuild, type Grove } from '../../../test/fixtures/cli_harness';

/** Drives a local shell: `eval` writes a line and resolves with what it printed before the next prompt. */
class LocalShell {
  private n = 1;
  readonly g: Grove = grove(['shell']);

  async eval(line: string): Promise<string> {
    const from = this.g.stdout.length;
    this.g.write(line);
    const prompt = `${++this.n}> `;
    await this.g.waitFor(new RegExp(`(^|\\n)${prompt}`));
    const out = this.g.stdout.slice(from);
    return out.slice(0, out.lastIndexOf(prompt)).trim();
  }
}

describe('grove shell helpers', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('refuses bad arguments with a message naming the helper', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    expect(await sh.eval('spawn(42)')).toMatch(/^Uncaught:\n\[BadArgError: spawn: expected a function \(ctx\) => \.\.\., or \(node, spawnable, args\), got 42\]/);
    expect(await sh.eval('spawn("bob@127.0.0.1", "echo", [])')).toMatch(
      /^Uncaught:\n\[BadArgError: spawn: this node is not distributed \(start the shell with --sname or --name\)\]/,
    );
    expect(await sh.eval('spawnLink("not a function")')).toMatch(/^Uncaught \[BadArgError: spawn: expected a function\]/);
    expect(await sh.eval('connect("bob@127.0.0.1")')).toBe('false');
    expect(await sh.eval('disconnect("bob@127.0.0.1")')).toBe('false');
    // A bad node name is an error even on a shell that is not distributed.
    expect(await sh.eval('await ping(42)')).toMatch(/^Uncaught/);
    expect(await sh.eval('await connect("nobody")')).toMatch(/^Uncaught/);
    expect(await sh.eval('disconnect(null)')).toMatch(/^Uncaught/);
  });

  it('monitors, links and unlinks as the shell process', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    await sh.eval('const before = self(); const idle = () => spawn(async (ctx) => { await ctx.receive(() => false) })');
    await sh.eval('const p = idle(); const r = monitor(p)');
    expect(await sh.eval('exit(p, "bye")')).toBe('true');
    expect(await sh.eval('const down = await receive((m) => m.type === "DOWN", 5000); [down.ref.equals(r), down.pid.equals(p), down.reason]')).toBe("[ true, true, 'bye' ]");
    expect(await sh.eval('processInfo(self()).links.length')).toBe('0');
    // Linked, then unlinked: the process's death does not reach the shell process.
    await sh.eval('const q = idle(); const rq = monitor(q)');
    expect(await sh.eval('link(q)')).toBe('true');
    expect(await sh.eval('processInfo(self()).links.map(String)')).toMatch(/^\[ '#PID<nonode@nohost\.\d+\.0>' \]$/);
    expect(await sh.eval('unlink(q)')).toBe('true');
    expect(await sh.eval('exit(q, "gone")')).toBe('true');
    expect(await sh.eval('(await receive((m) => m.type === "DOWN" && m.ref.equals(rq), 5000)).reason')).toBe("'gone'");
    expect(await sh.eval('self().equals(before)')).toBe('true');
    expect(await sh.eval('const rr = monitor(idle()); demonitor(rr)')).toBe('true');
  });

  it('replaces the shell process when a linked process dies while the shell is idle, and says so', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    await sh.eval('const before = String(self()); const w = spawn(async (ctx) => { await ctx.receive(() => false) }); link(w)');
    // The exit comes from a timer, after the line is done: the shell process is idle when it dies.
    await sh.eval('setTimeout(() => exit(w, "boom"), 0); "armed"');
    const [, old, next] = await sh.g.waitFor(/\*\*\* the shell process (#PID<[^>]+>) exited \(boom\); the new shell process is (#PID<[^>]+>)\n/);
    expect(await sh.eval('before')).toBe(`'${old}'`);
    expect(await sh.eval('self()')).toBe(next);
  });

  it('registers, lists and unregisters names', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    expect(await sh.eval('register("me")')).toBe('true');
    expect(await sh.eval('registered().includes("me")')).toBe('true');
    expect(await sh.eval('unregister("me")')).toBe('true');
    expect(await sh.eval('whereis("me")')).toBe('undefined');
    expect(await sh.eval('processInfo(self()).behaviour')).toBe("'shell'");
  });

  it('prints the help of global, rpc and pg', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    expect(await sh.eval('global.help()')).toMatch(/^global: cluster-wide names \(OTP global\)/);
    expect(await sh.eval('rpc.help()')).toMatch(/^rpc: remote calls of the functions a node exposes/);
    expect(await sh.eval('pg.help()')).toMatch(/^pg: process groups of the default scope 'pg'/);
  });

  it('debugs a live server with sys.* (the local pg server), listed in help()', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    expect(await sh.eval('help()')).toContain('sys.getState(dest)');
    expect(await sh.eval('sys.help()')).toContain('sys.replaceState(dest, fn)');
    expect(await sh.eval('(await sys.getStatus("pg")).status')).toBe("'running'");
    expect(await sh.eval('await sys.suspend("pg")')).toBe("'ok'");
    expect(await sh.eval('(await sys.getStatus(whereis("pg"))).status')).toBe("'suspended'");
    expect(await sh.eval('await sys.resume("pg")')).toBe("'ok'");
    expect(await sh.eval('await sys.statistics("pg")')).toBe("'ok'");
    expect(await sh.eval('(await sys.getStatistics("pg")).messagesIn')).toBe('0');
    expect(await sh.eval('typeof (await sys.getState("pg"))')).toBe("'object'");
  });

  it('ends quietly with exit 0 when the reader of its output goes away (grove shell | head -1)', async () => {
    const child = spawn(process.execPath, [BIN, 'shell'], { env: groveEnv(), cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      child.stdout.destroy();
      child.stdin.on('error', () => {});
      child.stdin.end('"x".repeat(100000)\n');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

/**
 * `grove shell` on a local node, driven through piped stdin as a script would: the
 * prompt and its counter, what each helper prints, the shell process's mailbox,
 * errors that leave the shell running, and how it ends.
 */
import { afterPrompts, grove, groveRun, killChildren, requireBuild } from './fixtures/cli_harness';

const PROMPT = /(?<![.\w])\d+> /;

/** Runs a local shell over `lines` and returns what each line printed. */
async function shell(lines: string[]): Promise<{ code: number | null; results: string[]; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await groveRun(['shell'], lines);
  return { code, results: afterPrompts(stdout, PROMPT).slice(1), stdout, stderr };
}

describe('grove shell on a local node', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('reads piped lines in order, shows a numbered prompt, and exits 0 when stdin closes', async () => {
    const { code, stdout, results, stderr } = await shell(['self()', 'node()', '', '1 + 1']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    // An empty line evaluates nothing: the counter stays.
    expect(stdout.match(/\d+> /g)).toEqual(['1> ', '2> ', '3> ', '3> ', '4> ']);
    expect(results).toEqual(['#PID<nonode@nohost.1.0>', "'nonode@nohost'", '', '2', '']);
  });

  it('awaits top-level await and returned promises before reading the next line', async () => {
    const { results } = await shell([
      'const slow = (v) => new Promise((r) => setTimeout(() => r(v), 100))',
      'const a = await slow(20)',
      'a + 1',
      'slow("done")',
    ]);
    expect(results.slice(0, 4)).toEqual(['undefined', 'undefined', '21', "'done'"]);
  });

  it('continues a line that is not complete with ... and evaluates it whole', async () => {
    const { stdout, results } = await shell(['function twice(x) {', '  return 2 * x', '}', 'twice(21)']);
    expect(stdout).toContain('... ');
    expect(results.at(-2)).toBe('42');
    expect(stdout.match(/\d+> /g)).toEqual(['1> ', '2> ', '3> ']);
  });

  it('evaluates inside the shell process: spawn, send, receive and flush use its mailbox', async () => {
    const { results } = await shell([
      'const echo = spawn(async (ctx) => { const m = await ctx.receive(); ctx.send(m.from, { echo: m.text }) })',
      'send(echo, { from: self(), text: "hi" })',
      'receive()',
      'send(self(), "one"); send(self(), [2, { three: 3 }])',
      'flush()',
      'flush()',
    ]);
    expect(results[1]).toBe("{ from: #PID<nonode@nohost.1.0>, text: 'hi' }");
    expect(results[2]).toBe("{ echo: 'hi' }");
    expect(results[4]).toBe("Shell got 'one'\nShell got [ 2, { three: 3 } ]\n'ok'");
    expect(results[5]).toBe("'ok'");
  });

  it('calls and casts from the shell process, and registers and finds names', async () => {
    const { results } = await shell([
      'const core = require("@grove/core")',
      'const srv = spawn(async (ctx) => { for (;;) { const m = await ctx.receive(); if (m instanceof core.GenCall) core.reply(ctx.node, m.from, ["got", m.request]); else if (m instanceof core.GenCast) ctx.send("watcher", m.request) } })',
      'call(srv, "hi")',
      'register("watcher")',
      'cast(srv, "casted")',
      'receive()',
      'whereis("watcher")',
      'whereis("nobody")',
    ]);
    expect(results.slice(2)).toEqual(["[ 'got', 'hi' ]", 'true', "'ok'", "'casted'", '#PID<nonode@nohost.1.0>', 'undefined', '']);
  });

  it('lists the processes with i(): pid, name, behaviour, mailbox length and status', async () => {
    const { results } = await shell(['register("sh")', 'send(self(), 1); send(self(), 2)', 'i()']);
    const table = results[2]!.split('\n');
    expect(table[0]).toMatch(/^Pid\s+Name\s+Behaviour\s+Msgs\s+Status$/);
    expect(table).toContainEqual(expect.stringMatching(/^#PID<nonode@nohost\.1\.0>\s+sh\s+shell\s+2\s+(running|waiting)$/));
    expect(table).toContainEqual(expect.stringMatching(/^#PID<nonode@nohost\.\d+\.0>\s+pg\s+gen_server\s+0\s+waiting$/));
    expect(table.at(-1)).toMatch(/^\d+ processes$/);
  });

  it('prints an error and goes on with the next line', async () => {
    const { code, results } = await shell(['throw new Error("boom")', 'call("nobody", "x")', 'send("nobody", 1)', 'await Promise.reject(new Error("late"))', '"still here"']);
    expect(code).toBe(0);
    expect(results[0]).toBe('Uncaught Error: boom');
    expect(results[1]).toMatch(/^Uncaught \[CallExitError: call to nobody: no such process \(noproc\); request x\]/);
    expect(results[2]).toMatch(/^Uncaught \[NoProcError: send to nobody: no such process \(noproc\)\]/);
    expect(results[3]).toMatch(/^Uncaught Error: late/);
    expect(results[4]).toBe("'still here'");
  });

  it('replaces the shell process when it exits, as erl does', async () => {
    const { results } = await shell(['const before = self()', 'exit("bye")', 'self()', 'self().equals(before)']);
    expect(results[1]).toMatch(/ShellExitError: the shell process #PID<nonode@nohost\.1\.0> exited \(bye\); the new shell process is #PID<nonode@nohost\.\d+\.0>/);
    expect(results[2]).toMatch(/^#PID<nonode@nohost\.\d+\.0>$/);
    expect(results[2]).not.toBe('#PID<nonode@nohost.1.0>');
    expect(results[3]).toBe('false');
  });

  it('has the default pg scope running: the shell joins a group and sees itself', async () => {
    const { results } = await shell(['pg.join("room")', 'pg.getMembers("room")', 'pg.whichGroups()']);
    expect(results.slice(0, 3)).toEqual(['undefined', '[ #PID<nonode@nohost.1.0> ]', "[ 'room' ]"]);
  });

  it('answers as a node that is not distributed: no nodes, pang, and monitorNodes and global say why, rpc cannot reach', async () => {
    const { results } = await shell(['nodes()', 'ping("bob@127.0.0.1")', 'monitorNodes()', 'global.whereis("x")', 'rpc.call("bob@127.0.0.1", "m", "f")']);
    expect(results[0]).toBe('[]');
    expect(results[1]).toBe("'pang'");
    expect(results[2]).toMatch(/monitorNodes: this node is not distributed \(start the shell with --sname or --name\)/);
    expect(results[3]).toMatch(/global: node nonode@nohost is not distributed/);
    expect(results[4]).toMatch(/RpcError: rpc m\.f on bob@127\.0\.0\.1: the node cannot be reached \(noconnection\)/);
  });

  it('lists its helpers with help(), and global stays Node\'s global object for other code', async () => {
    const { results } = await shell(['help()', 'global.process === process', 'typeof global.whereis']);
    expect(results[0]).toContain('flush()                   prints and removes every message');
    expect(results[1]).toBe('true');
    expect(results[2]).toBe("'function'");
  });

  it('stays up while stdin is open, and stops with exit code 0 on SIGTERM', async () => {
    const g = grove(['shell']);
    g.write('"ready"');
    await g.waitFor("'ready'");
    g.signal('SIGTERM');
    expect(await g.exited).toEqual({ code: 0, signal: null });
  });
});

/**
 * A Grove node and a real Elixir node (Debian's `elixir`, which `.ci/run` installs):
 * an Elixir script pings the Grove node, calls and casts a Grove GenServer by
 * `{name, node}`, sends to a registered Grove process, and links to a Grove process
 * that crashes. Grove's embedded port mapper on a private port.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GenServer, type Pid } from '@grove/core';
import { atom, isAtom, isTuple, tuple } from '@grove/distribution';
import { stopTcpNodes, tcpEpmdPort, tcpNode } from './support/tcp_nodes';

const haveElixir = spawnSync('sh', ['-c', 'command -v elixir']).status === 0;
const COOKIE = `tcp-test-${process.pid}`;

afterEach(stopTcpNodes);

class Counter extends GenServer {
  n = 0;
  override handleCall(req: unknown): unknown {
    if (isAtom(req, 'inc')) return ++this.n;
    if (isAtom(req, 'get')) return this.n;
    return atom('unknown');
  }
  override handleCast(req: unknown): void {
    if (isAtom(req, 'inc')) this.n++;
  }
}

const SCRIPT = `
node = String.to_atom(System.fetch_env!("GROVE_NODE"))
IO.puts("ping: #{Node.ping(node)}")
IO.puts("nodes: #{inspect(Node.list())}")
IO.puts("call: #{GenServer.call({:counter, node}, :inc)}")
GenServer.cast({:counter, node}, :inc)
IO.puts("get: #{GenServer.call({:counter, node}, :get)}")
noproc = try do GenServer.call({:nobody, node}, :inc) catch :exit, reason -> reason end
IO.puts("noproc: #{inspect(noproc)}")
send({:inbox, node}, {:hello, "from elixir", self()})
pid = receive do {:pid, p} -> p after 5000 -> raise "no pid" end
Process.flag(:trap_exit, true)
Process.link(pid)
send(pid, :die)
receive do
  {:EXIT, ^pid, %{__struct__: Grove.Error, message: m}} -> IO.puts("exit: #{m}")
after 5000 -> IO.puts("exit: timeout")
end
`;

(haveElixir ? describe : describe.skip)('a Grove node and a real Elixir node', () => {
  it('is pinged, called, cast to, sent to and linked to from Elixir', async () => {
    const g = await tcpNode('grove');
    await Counter.start(g.node, undefined, { name: 'counter' });
    g.node.spawn(
      async (ctx) => {
        const hello = await ctx.receive();
        if (!isTuple(hello, 'hello') || hello.elements[1] !== 'from elixir') throw new Error('not the hello');
        ctx.send(hello.elements[2] as Pid, tuple(atom('pid'), ctx.self));
        await ctx.receive();
        throw new Error('crashed for Elixir');
      },
      { name: 'inbox' },
    );
    const epmdPort = String(await tcpEpmdPort());
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-ex-'));
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('elixir', ['--name', `ex_${process.pid}@127.0.0.1`, '--cookie', COOKIE, '--erl', '-start_epmd false', '-e', SCRIPT], {
          env: { ...process.env, HOME: home, GROVE_NODE: g.name, ERL_EPMD_PORT: epmdPort },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString()));
        child.stderr.on('data', (d: Buffer) => (text += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(text);
        });
        child.once('error', reject);
      });
      expect(out).toContain('ping: pong');
      expect(out).toContain(`nodes: [:"${g.name}"]`);
      expect(out).toContain('call: 1');
      expect(out).toContain('get: 2');
      expect(out).toContain(`noproc: {:noproc, {GenServer, :call, [{:nobody, :"${g.name}"}, :inc, 5000]}}`);
      expect(out).toContain('exit: crashed for Elixir');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 30_000);
});

/**
 * A Grove node in an Erlang cluster: real `erl` peers (Debian's erlang-base, which
 * `.ci/run` installs) on loopback, with Grove's embedded port mapper on a private
 * port. One Grove node speaks Grove's protocol with Grove peers and Erlang's with BEAM
 * peers, chosen per connection.
 */
import { CallExitError, callServer, castServer, GenServer, isDownMessage, type From, type Pid, type ProcessContext } from '@grove/core';
import { atom, isAtom, isTuple, rpc, spawnRemote, tuple, type DistNode } from '@grove/distribution';
import { ErlPeer, haveErl } from './support/erl_peer';
import { stopTcpNodes, tcpEpmdPort, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

const COOKIE = `tcp-test-${process.pid}`;
const describeErl = haveErl ? describe : describe.skip;
if (!haveErl) {
  // eslint-disable-next-line no-console
  console.warn("skipping the Erlang interop tests: `erl` is not on PATH (.ci/run installs Debian's erlang-base)");
}

/** The elements of `t` when it is a tuple of `n` elements. */
function tupleOf(t: unknown, n: number): readonly unknown[] | undefined {
  return isTuple(t) && t.length === n ? t.elements : undefined;
}
let seq = 0;
const peers: ErlPeer[] = [];

async function erl(options: { cookie?: string } = {}): Promise<ErlPeer> {
  const p = await ErlPeer.start(`erl${++seq}_${process.pid}@127.0.0.1`, { cookie: options.cookie ?? COOKIE, epmdPort: await tcpEpmdPort() });
  peers.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  await stopTcpNodes();
});

/** A counter GenServer: `inc` adds one and replies with the total; `crash` throws. */
class Counter extends GenServer {
  n = 0;
  override handleCall(req: unknown, _from: From): unknown {
    if (isAtom(req, 'inc')) return ++this.n;
    if (isAtom(req, 'get')) return this.n;
    if (isAtom(req, 'crash')) throw new Error('crashed on purpose');
    return atom('unknown');
  }
  override handleCast(req: unknown): void {
    if (isAtom(req, 'inc')) this.n++;
  }
}

/** A gen_server in Erlang: inc/get/add, echo, a slow call, a crash. */
const COUNTER_SRV = `
-module(counter_srv).
-behaviour(gen_server).
-export([init/1, handle_call/3, handle_cast/2]).
init(N) -> {ok, N}.
handle_call(inc, _From, N) -> {reply, N + 1, N + 1};
handle_call(get, _From, N) -> {reply, N, N};
handle_call({echo, X}, _From, N) -> {reply, X, N};
handle_call(slow, _From, N) -> timer:sleep(1000), {reply, late, N};
handle_call(crash, _From, N) -> {reply, 1 div (N - N), N}.
handle_cast({add, K}, N) -> {noreply, N + K}.
`;

describeErl('a Grove node and real Erlang nodes', () => {
  it('is pinged by erl (pong), listed in nodes(), and lists the erl node in its own nodes() with a nodeup', async () => {
    const g = await tcpNode('grove');
    const ups: unknown[] = [];
    const watcher = g.node.spawnLoop((m) => void ups.push(m));
    g.monitorNodes(watcher, true);
    const e = await erl();
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    expect(await e.eval('nodes().')).toBe(`['${g.name}']`);
    await waitFor(() => ups.length > 0, 'a nodeup');
    expect(ups[0]).toMatchObject({ type: 'nodeup', node: e.name });
    expect(g.nodes()).toEqual([e.name]);
  });

  it('pings an erl node from Grove (pong), and sees it go with a nodedown', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    const events: Array<{ type: string }> = [];
    const watcher = g.node.spawnLoop((m) => void events.push(m as { type: string }));
    g.monitorNodes(watcher, true);
    expect(await g.ping(e.name)).toBe('pong');
    expect(g.nodes()).toEqual([e.name]);
    expect(await e.eval('nodes().')).toBe(`['${g.name}']`);
    await e.stop();
    await waitFor(() => events.some((m) => m.type === 'nodedown'), 'a nodedown');
    expect(g.nodes()).toEqual([]);
  });

  it('refuses an erl node with another cookie (pang), and still answers one with the right one', async () => {
    const g = await tcpNode('grove');
    const bad = await erl({ cookie: 'not-the-cookie' });
    expect(await bad.eval(`net_adm:ping('${g.name}').`)).toBe('pang');
    expect(await g.ping(bad.name)).toBe('pang');
    const good = await erl();
    expect(await good.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
  });

  it('keeps speaking Grove to Grove nodes while it speaks Erlang to an erl node', async () => {
    const [a, b] = [await tcpNode('ga'), await tcpNode('gb')];
    const e = await erl();
    b.node.spawnLoop(() => undefined, { name: 'sink' });
    await Counter.start(b.node, undefined, { name: 'counter' });
    expect(await a.ping(b.name)).toBe('pong');
    expect(await a.ping(e.name)).toBe('pong');
    expect(await callServer(a.node, ['counter', b.name], atom('inc'))).toBe(1);
    expect(await e.eval(`gen_server:call({counter, '${b.name}'}, inc).`)).toBe('2');
  });
});

describeErl('messages and calls between Grove and Erlang', () => {
  it("delivers {Name, Node} ! Msg from erl to a registered Grove process, and Grove's send to an Erlang pid and name", async () => {
    const g = await tcpNode('grove');
    const got: unknown[] = [];
    g.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    const e = await erl();
    await e.eval(`{inbox, '${g.name}'} ! {hello, self(), 42}.`);
    await waitFor(() => got.length === 1, 'the message');
    const t = tupleOf(got[0], 3)!;
    expect(isAtom(t[0], 'hello')).toBe(true);
    expect(t[2]).toBe(42);
    const erlPid = t[1];
    // Back: to the pid, then to a name on the erl node.
    await e.eval('register(shell, self()).');
    await g.node.run(async (ctx: ProcessContext) => {
      ctx.send(erlPid as never, tuple(atom('back'), 1));
      ctx.send(['shell', e.name], tuple(atom('back'), 2));
    });
    expect(await e.eval('receive {back, 1} = M1 -> M1 after 5000 -> timeout end.')).toBe('{back,1}');
    expect(await e.eval('receive {back, 2} = M2 -> M2 after 5000 -> timeout end.')).toBe('{back,2}');
  });

  it('answers gen_server:call from erl: the reply, noproc at once for a missing name, the exit reason of a crash; and takes casts', async () => {
    const g = await tcpNode('grove');
    await Counter.start(g.node, undefined, { name: 'counter' });
    const e = await erl();
    expect(await e.eval(`gen_server:call({counter, '${g.name}'}, inc).`)).toBe('1');
    expect(await e.eval(`gen_server:cast({counter, '${g.name}'}, inc), gen_server:call({counter, '${g.name}'}, get).`)).toBe('2');
    expect(await e.eval(`catch gen_server:call({nobody, '${g.name}'}, inc, 60000).`)).toBe(`{'EXIT',{noproc,{gen_server,call,[{nobody,'${g.name}'},inc,60000]}}}`);
    const crash = await e.eval(`catch gen_server:call({counter, '${g.name}'}, crash).`);
    // An Error reaches Erlang as a %Grove.Error{} struct (the term mapping).
    expect(crash).toMatch(/^\{'EXIT',\{#\{'__exception__' => true,'__struct__' => 'Elixir.Grove.Error',message => <<"crashed on purpose">>,name => <<"Error">>,stack => <<"Error: crashed on purpose/);
    expect(crash).toContain(`{gen_server,call,[{counter,'${g.name}'},crash]}}}`);
  });

  it('calls a real Erlang gen_server from Grove: the reply, the crash reason, a timeout; casts reach it', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    await e.loadModule(COUNTER_SRV);
    expect(await e.eval('{ok, _} = gen_server:start({local, counter_srv}, counter_srv, 10, []), ok.')).toBe('ok');
    const callIt = (req: unknown, timeoutMs?: number): Promise<unknown> => g.node.run((ctx) => callServer(ctx, ['counter_srv', e.name], req, timeoutMs));
    expect(await callIt(atom('inc'))).toBe(11);
    castServer(g.node, ['counter_srv', e.name], tuple(atom('add'), 5));
    expect(await callIt(atom('get'))).toBe(16);
    expect(await callIt(tuple(atom('echo'), { text: 'héllo', list: [1, 2.5, 'x'] }))).toEqual({ text: 'héllo', list: [1, 2.5, 'x'] });
    await expect(callIt(atom('slow'), 100)).rejects.toThrow(/timeout|timed out/i);
    const err = (await callIt(atom('crash')).catch((x: unknown) => x)) as { reason?: unknown };
    expect(err).toBeInstanceOf(CallExitError);
    expect(isAtom(tupleOf(err.reason, 2)?.[0], 'badarith')).toBe(true);
  });

  it('calls and casts an Erlang gen_server from Grove, and fails with noproc for a missing one', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    // A tiny gen_server made with a fun-based module is not possible in erl_eval: use an Agent-like loop that speaks $gen_call.
    await e.eval(
      `register(kv, spawn(fun L() -> receive {'$gen_call', {P, T}, {get, K}} -> P ! {T, {ok, K * 2}}, L(); {'$gen_cast', stop} -> ok end end)).`,
    );
    expect(await g.node.run((ctx) => callServer(ctx, ['kv', e.name], tuple(atom('get'), 21)))).toEqual(tuple(atom('ok'), 42));
    await expect(g.node.run((ctx) => callServer(ctx, ['nobody', e.name], atom('x')))).rejects.toThrow(/noproc/);
    castServer(g.node, ['kv', e.name], atom('stop'));
    await waitFor(async () => (await e.eval('whereis(kv).')) === 'undefined', 'kv to stop');
  });
});

describeErl('links and monitors between Grove and Erlang', () => {
  it('links both ways: an Erlang exit reaches a trapping Grove process, a Grove crash a trapping Erlang one, unlink holds', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    const got: unknown[] = [];
    g.node.spawn(
      async (ctx) => {
        for (;;) {
          const m = await ctx.receive();
          const t = tupleOf(m, 3);
          if (t !== undefined && isAtom(t[0], 'link_me')) {
            ctx.link(t[1] as Pid);
            ctx.send(t[2] as Pid, atom('linked'));
          } else got.push(m);
        }
      },
      { name: 'trapper', trapExit: true },
    );
    await e.eval(`P1 = spawn(fun() -> receive go -> exit(boom) end end), {trapper, '${g.name}'} ! {link_me, P1, self()}, ok.`);
    expect(await e.eval('receive linked -> linked after 5000 -> timeout end.')).toBe('linked');
    await e.eval('P1 ! go.');
    await waitFor(() => got.length === 1, 'the EXIT');
    // An atom reason arrives as its name, as Grove writes OTP's reasons.
    expect(got[0]).toMatchObject({ type: 'EXIT', reason: 'boom' });

    // Erlang links to Grove processes; one link is undone first, so only the other's crash arrives.
    const victim = (name: string): Pid =>
      g.node.spawn(
        async (ctx) => {
          const hello = tupleOf(await ctx.receive(), 2)!;
          ctx.send(hello[1] as Pid, tuple(atom(name), ctx.self));
          await ctx.receive();
          throw new Error(`${name} crashed`);
        },
        { name },
      );
    victim('va');
    victim('vb');
    await e.eval(`process_flag(trap_exit, true), {va, '${g.name}'} ! {hi, self()}, {vb, '${g.name}'} ! {hi, self()}, ok.`);
    await e.eval('VA = receive {va, A} -> A end, VB = receive {vb, B} -> B end, link(VA), link(VB), unlink(VA), ok.');
    await e.eval('VA ! die, ok.');
    await waitFor(() => g.node.whereis('va') === undefined, 'va to crash');
    await e.eval('VB ! die, ok.');
    expect(await e.eval(`receive {'EXIT', Who, #{message := Why}} -> {Who =:= VB, Why} after 5000 -> timeout end.`)).toBe('{true,<<"vb crashed">>}');
  });

  it('monitors both ways: DOWN by name and pid, noproc at once, noconnection on loss', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    const seen: unknown[] = [];
    g.node.spawnLoop((m) => void seen.push(m), { name: 'target' });
    expect(await e.eval(`R = monitor(process, {target, '${g.name}'}), {target, '${g.name}'} ! x, ok.`)).toBe('ok');
    // x follows the monitor on the same connection: once it arrived, the monitor is in place.
    await waitFor(() => seen.length === 1, 'x');
    g.node.exit(g.node.whereis('target')!, 'kill');
    expect(await e.eval(`receive {'DOWN', R, process, Who, Why} -> {Who, Why} after 5000 -> timeout end.`)).toBe(`{{target,'${g.name}'},killed}`);
    expect(await e.eval(`R2 = monitor(process, {nobody, '${g.name}'}), receive {'DOWN', R2, process, _, W2} -> W2 after 5000 -> timeout end.`)).toBe('noproc');
    // Grove monitors an Erlang process and hears of its loss with the connection.
    await e.eval('register(alive, spawn(fun() -> receive _ -> ok end end)).');
    const downs: unknown[] = [];
    g.node.spawn(async (ctx) => {
      ctx.monitor(['alive', e.name]);
      downs.push(await ctx.receive(isDownMessage));
    });
    await waitFor(async () => (await e.eval(`erlang:process_info(whereis(alive), monitored_by).`)) !== '{monitored_by,[]}', 'the monitor to arrive');
    await e.stop();
    await waitFor(() => downs.length === 1, 'the DOWN');
    expect(downs[0]).toMatchObject({ type: 'DOWN', reason: 'noconnection' });
  });
});

describeErl('links and monitors by pid, and unlink, from both sides', () => {
  it('delivers DOWN by pid both ways with the exit reason, and an unlink from Grove holds', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    const got: unknown[] = [];
    g.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    // Erlang monitors a Grove process by pid; it exits with {shutdown, bye}.
    const victim = g.node.spawn(async (ctx) => {
      await ctx.receive();
      ctx.exit({ shutdown: 'bye' });
    });
    await e.eval('register(shell, self()).');
    g.node.send(['shell', e.name], victim);
    expect(await e.eval(`GP = receive P -> P after 5000 -> timeout end, GR = monitor(process, GP), {inbox, '${g.name}'} ! monitoring, ok.`)).toBe('ok');
    await waitFor(() => got.length === 1, 'the monitor to be in place');
    g.node.send(victim, 'go');
    expect(await e.eval(`receive {'DOWN', GR, process, GP, Why} -> Why after 5000 -> timeout end.`)).toBe('{shutdown,bye}');

    // Grove monitors Erlang processes by pid, links to two, unlinks the first: only the second's exit arrives.
    await e.eval(`E1 = spawn(fun() -> receive go -> exit(boom1) end end), E2 = spawn(fun() -> receive go -> exit(boom2) end end), {inbox, '${g.name}'} ! {E1, E2}, ok.`);
    await waitFor(() => got.length === 2, 'the pids');
    const [e1, e2] = (got[1] as { elements: Pid[] }).elements;
    const seen: unknown[] = [];
    g.node.spawn(
      async (ctx) => {
        ctx.monitor(e1!);
        ctx.link(e1!);
        ctx.link(e2!);
        ctx.unlink(e1!);
        ctx.send(['shell', e.name], atom('ready'));
        for (;;) seen.push(await ctx.receive());
      },
      { trapExit: true },
    );
    expect(await e.eval('receive ready -> ready after 5000 -> timeout end.')).toBe('ready');
    await e.eval('E1 ! go, ok.');
    await waitFor(() => seen.length === 1, 'the DOWN of E1');
    expect(seen[0]).toMatchObject({ type: 'DOWN', reason: 'boom1' });
    await e.eval('E2 ! go, ok.');
    await waitFor(() => seen.length === 2, 'the EXIT of E2');
    expect(seen[1]).toMatchObject({ type: 'EXIT', reason: 'boom2' });
    expect((seen[1] as { from: Pid }).from.equals(e2)).toBe(true);
  });
});

describeErl('rpc between Grove and Erlang', () => {
  it('runs rpc:call from erl against exposed functions only, and rpc.call from Grove on erl', async () => {
    const g: DistNode = await tcpNode('grove');
    rpc.expose(g, 'math', { add: (a: number, b: number) => a + b });
    const e = await erl();
    expect(await e.eval(`rpc:call('${g.name}', math, add, [1, 2]).`)).toBe('3');
    expect(await e.eval(`rpc:call('${g.name}', math, sub, [1, 2]).`)).toMatch(/^\{badrpc,\{'EXIT',\{undef,/);
    expect(await e.eval(`rpc:call('${g.name}', os, cmd, ["ls"]).`)).toMatch(/^\{badrpc,\{'EXIT',\{undef,/);
    expect(await rpc.call(g, e.name, 'erlang', 'node', [])).toEqual(atom(e.name));
    expect(await rpc.call(g, e.name, 'lists', 'reverse', [[1, 2, 3]])).toEqual([3, 2, 1]);
    // An undefined function there: {badrpc, {'EXIT', {undef, _}}} becomes an RpcError (exit).
    await expect(rpc.call(g, e.name, 'nomod', 'nofun', [])).rejects.toMatchObject({ kind: 'exit' });
    // A cast runs there too; a call that timed out leaves nothing behind.
    await e.eval('register(shell, self()).');
    rpc.cast(g, e.name, 'erlang', 'send', [atom('shell'), atom('cast_ran')]);
    expect(await e.eval('receive cast_ran -> cast_ran after 5000 -> timeout end.')).toBe('cast_ran');
    await expect(rpc.call(g, e.name, 'timer', 'sleep', [2000], 50)).rejects.toMatchObject({ kind: 'timeout' });
    expect(await rpc.call(g, e.name, 'erlang', 'node', [])).toEqual(atom(e.name));
  });

  it('refuses a Grove spawn on a BEAM node (code is never shipped), and answers a link to a dead Erlang pid with noproc', async () => {
    const g = await tcpNode('grove');
    const e = await erl();
    await expect(g.node.run((ctx) => spawnRemote(ctx, e.name, 'worker'))).rejects.toThrow(/notsup/);
    await e.eval('Dead = spawn(fun() -> ok end), ok.');
    const got: unknown[] = [];
    g.node.spawn(
      async (ctx) => {
        const dead = (await ctx.receive()) as Pid;
        ctx.link(dead);
        got.push(await ctx.receive());
      },
      { name: 'inbox', trapExit: true },
    );
    await e.eval(`{inbox, '${g.name}'} ! Dead, ok.`);
    await waitFor(() => got.length === 1, 'the EXIT');
    expect(got[0]).toMatchObject({ type: 'EXIT', reason: 'noproc' });
  });
});

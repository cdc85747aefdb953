/**
 * A Grove node as a member of an Erlang cluster: the real `epmd`, short names, ticks,
 * exit signals, `monitor_node`, and `global` shared with erl (erlang_global.test.ts has more). Real `erl`
 * peers on loopback (see erlang_interop.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { isDownMessage, type Pid } from '@grove/core';
import { globalOf, localHostName, probe, startDistributed, type DistNode } from '@grove/distribution';
import { ErlPeer, haveErl } from './support/erl_peer';
import { stopTcpNodes, tcpEpmdPort, tcpNode } from './support/tcp_nodes';
import { freePort, waitFor } from './support/wait';

const COOKIE = `tcp-test-${process.pid}`;
const describeErl = haveErl ? describe : describe.skip;
let seq = 0;
const peers: ErlPeer[] = [];
const others: DistNode[] = [];
const children: ChildProcess[] = [];

async function erl(options: { names?: 'long' | 'short'; epmdPort?: number; args?: string[] } = {}): Promise<ErlPeer> {
  const alive = `cerl${++seq}_${process.pid}`;
  const p = await ErlPeer.start(options.names === 'short' ? `${alive}@${localHostName('short')}` : `${alive}@127.0.0.1`, {
    cookie: COOKIE,
    epmdPort: options.epmdPort ?? (await tcpEpmdPort()),
    ...(options.names !== undefined ? { names: options.names } : {}),
    ...(options.args !== undefined ? { args: options.args } : {}),
  });
  peers.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  await Promise.all(others.splice(0).map((d) => d.stop()));
  await stopTcpNodes();
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
});

describeErl('a Grove node in an Erlang cluster', () => {
  it("registers with a real epmd, where erl finds it, and finds erl's entry there", async () => {
    const port = await freePort();
    const epmd = spawn('epmd', ['-port', String(port), '-address', '127.0.0.1'], { stdio: 'ignore' });
    children.push(epmd);
    await waitFor(() => probe({ port }), 'epmd to listen');
    const g = await startDistributed({ name: `repmd_${process.pid}@127.0.0.1`, cookie: COOKIE, epmdPort: port });
    others.push(g);
    const e = await erl({ epmdPort: port });
    expect(await e.eval(`net_adm:names().`)).toContain(`"repmd_${process.pid}"`);
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    const e2 = await erl({ epmdPort: port });
    expect(await g.ping(e2.name)).toBe('pong');
  });

  it('speaks with short names (-sname)', async () => {
    const host = localHostName('short');
    const g = await tcpNode('short', { name: `gshort_${process.pid}@${host}` });
    const e = await erl({ names: 'short' });
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    expect(await g.ping(e.name)).toBe('pong');
    expect(g.nodes()).toEqual([e.name]);
  });

  it('keeps the connection while erl ticks with a short net_ticktime and nothing else is said', async () => {
    const g = await tcpNode('ticks');
    const e = await erl({ args: ['-kernel', 'net_ticktime', '2'] });
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    // erl declares a peer that says nothing for about 2 s down, and ticks every 0.5 s
    // while idle; Grove (net tick time 60 s) answers its ticks. Stay idle 5 s: the
    // behaviour under test is the connection outliving an idle period.
    expect(await e.eval('timer:sleep(5000).', 30_000)).toBe('ok');
    expect(await e.eval('nodes().')).toBe(`['${g.name}']`);
    expect(g.nodes()).toEqual([e.name]);
  });

  it('takes exit signals both ways: exit(Pid, kill) from erl kills a Grove process, ctx.exit from Grove an Erlang one', async () => {
    const g = await tcpNode('exits');
    const e = await erl();
    const target = g.node.spawnLoop(() => undefined, { name: 'target' });
    const downs: unknown[] = [];
    g.node.spawn(async (ctx) => {
      ctx.monitor(target);
      downs.push(await ctx.receive(isDownMessage));
    });
    // erl learns the pid by a message, then kills it.
    await e.eval('register(shell, self()).');
    g.node.send(['shell', e.name], target);
    expect(await e.eval(`T = receive X -> X after 5000 -> timeout end, exit(T, kill), ok.`)).toBe('ok');
    await waitFor(() => downs.length === 1, 'the DOWN');
    expect(downs[0]).toMatchObject({ reason: 'killed' });
    // Grove kills an Erlang process that erl monitors.
    const got: unknown[] = [];
    g.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    await e.eval(`V = spawn(fun() -> receive _ -> ok end end), R = monitor(process, V), {inbox, '${g.name}'} ! V, ok.`);
    await waitFor(() => got.length >= 1, 'the pid');
    await g.node.run(async (ctx) => ctx.exit(got[0] as Pid, { shutdown: 'bye' }));
    expect(await e.eval(`receive {'DOWN', R, process, V, Why} -> Why after 5000 -> timeout end.`)).toBe('{shutdown,bye}');
  });

  it('sends {nodedown, Node} to erlang:monitor_node when the Grove node stops', async () => {
    const g = await tcpNode('mnode');
    const e = await erl();
    expect(await e.eval(`monitor_node('${g.name}', true).`)).toBe('true');
    await g.stop();
    expect(await e.eval(`receive {nodedown, N} -> N after 10000 -> timeout end.`)).toBe(`'${g.name}'`);
  });

  it('is a hidden node to erl when started hidden: in nodes(hidden), not nodes(), and global:sync() returns', async () => {
    const g = await tcpNode('hid', { hidden: true });
    const e = await erl();
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    expect(await e.eval('{nodes(), nodes(hidden)}.')).toBe(`{[],['${g.name}']}`);
    expect(await e.eval('global:sync().')).toBe('ok');
    expect(g.nodes('hidden')).toEqual([e.name]);
  });

  it("shares global with erl: names registered on each side are seen on every node, and every sync ends", async () => {
    const [g1, g2] = [await tcpNode('glob'), await tcpNode('glob')];
    // `+hmqd off_heap`: see erlang_global.test.ts (OTP 25.2.3's VM can die in GC when it shares names with a Grove node).
    const e = await erl({ args: ['+hmqd', 'off_heap'] });
    expect(await g1.ping(g2.name)).toBe('pong');
    expect(await e.eval(`net_adm:ping('${g1.name}').`)).toBe('pong');
    const holder = g1.node.spawnLoop(() => undefined);
    expect(await globalOf(g1).registerName('grove_name', holder)).toBe(true);
    expect(await e.eval('global:sync().', 10_000)).toBe('ok');
    expect(await e.eval(`global:register_name(erl_name, self()).`)).toBe('yes');
    expect(await e.eval(`global:whereis_name(erl_name) =:= self().`)).toBe('true');
    await globalOf(g1).sync();
    await globalOf(g2).sync();
    expect(globalOf(g2).whereisName('grove_name')?.equals(holder)).toBe(true);
    expect(globalOf(g1).whereisName('erl_name')?.node).toBe(e.name);
    expect(await e.eval('lists:sort(global:registered_names()).')).toBe('[erl_name,grove_name]');
    expect(e.log).not.toMatch(/global|unexpected/i);
  });
});

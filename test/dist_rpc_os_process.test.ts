/**
 * rpc and global with nodes in child OS processes (test/fixtures/rpc_node.js) over
 * TCP, with a private port mapper: typed errors across processes, calls both ways,
 * a multicall with a killed node, and global names when a node's process dies.
 */
import { globalOf, rpc, RpcError, type DistNode } from '@grove/distribution';
import { removeTranspiled, transpilePackages } from './support/children';
import { ChildNode, cleanup, mesh, nodeName, privateEpmd, startChild, tcpNode, waitFor } from './support/nodes';

jest.setTimeout(60_000);

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);
afterEach(cleanup);

async function setup(children: number): Promise<{ local: DistNode; peers: ChildNode[] }> {
  const epmd = await privateEpmd();
  const local = await tcpNode('host', epmd);
  const peers = await Promise.all([...Array(children)].map((_x, i) => startChild('rpc_node', nodeName(`child${i}_`), epmd)));
  for (const p of peers) expect(await local.connect(p.name)).toBe(true);
  await waitFor(async () => {
    for (const p of peers) if ((await p.request<string[]>('nodes')).length !== children) return false;
    return true;
  }, 'a full mesh');
  await mesh([local]);
  for (const p of peers) await p.request('sync');
  return { local, peers };
}

describe('rpc with nodes in other OS processes', () => {
  it('calls exposed functions in another process and gets each failure as its kind', async () => {
    const { local, peers } = await setup(1);
    const peer = peers[0]!.name;
    expect(await rpc.call(local, peer, 'math', 'add', [40, 2])).toBe(42);
    expect(await rpc.call(local, peer, 'math', 'node')).toBe(peer);
    // Each failure is an RpcError (a call that resolved instead would fail toBeInstanceOf).
    const failure = async (module: string, fn: string, args: unknown[], timeoutMs?: number): Promise<RpcError> => {
      const e = await rpc.call(local, peer, module, fn, args, timeoutMs).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(RpcError);
      return e as RpcError;
    };
    const thrown = await failure('math', 'fail', ['bad input']);
    expect(thrown.kind).toBe('throw');
    expect((thrown.reason as Error).name).toBe('TypeError');
    expect((thrown.reason as Error).message).toBe('bad input');
    const exited = await failure('math', 'exit', [{ shutdown: 'asked' }]);
    expect(exited.kind).toBe('exit');
    expect(exited.reason).toEqual({ shutdown: 'asked' });
    expect((await failure('math', 'hang', [], 100)).kind).toBe('timeout');
    expect((await failure('fs', 'readFile', ['/etc/passwd'])).kind).toBe('undef');
  });

  it('answers calls that the other process makes into this node', async () => {
    const { local, peers } = await setup(1);
    rpc.expose(local, 'host', { twice: (x: number) => 2 * x });
    expect(await peers[0]!.request('call', { node: local.name, module: 'host', fn: 'twice', args: [21] })).toEqual({ value: 42 });
    expect(await peers[0]!.request('call', { node: local.name, module: 'host', fn: 'eval', args: ['1'] })).toMatchObject({ kind: 'undef' });
  });

  it('reports a killed node as a bad node of a multicall', async () => {
    const { local, peers } = await setup(2);
    const [p0, p1] = peers as [ChildNode, ChildNode];
    p1.kill();
    await p1.exited;
    await waitFor(() => !local.nodes().includes(p1.name), 'the killed node to be down');
    const r = await rpc.multicall<string>(local, [p0.name, p1.name], 'math', 'node', [], 5000);
    expect(r.results).toEqual([p0.name]);
    expect(r.badNodes).toEqual([p1.name]);
  });
});

describe('global with nodes in other OS processes', () => {
  it('lets exactly one process win each round of a race across three OS processes', async () => {
    const { local, peers } = await setup(2);
    for (let round = 0; round < 10; round++) {
      const name = `os_race_${round}`;
      const idle = local.node.spawn(async (ctx) => {
        await ctx.receive((m) => m === 'stop');
      });
      const wins = await Promise.all([globalOf(local).registerName(name, idle), ...peers.map((p) => p.request<boolean>('register', { name }))]);
      expect(wins.filter(Boolean)).toHaveLength(1);
      const holder = globalOf(local).whereisName(name)!.key;
      // Every node comes to agree on the holder. A node that was not yet in the winner's
      // set of known nodes when it registered learns the name when global syncs, as in OTP.
      for (const p of peers) await waitFor(async () => (await p.request('whereis', { name })) === holder, `${p.name} to see ${name} held by ${holder}`);
    }
  });

  it("drops a node's names when its OS process is killed", async () => {
    const { local, peers } = await setup(2);
    const [p0, p1] = peers as [ChildNode, ChildNode];
    expect(await p1.request('register', { name: 'doomed' })).toBe(true);
    expect(globalOf(local).whereisName('doomed')?.node).toBe(p1.name);
    expect(await p0.request('whereis', { name: 'doomed' })).not.toBeNull();
    p1.kill();
    await p1.exited;
    await waitFor(() => globalOf(local).whereisName('doomed') === undefined, 'the name to leave this node');
    await waitFor(async () => (await p0.request('whereis', { name: 'doomed' })) === null, 'the name to leave the other child');
    expect(await globalOf(local).registerName('doomed', local.node.spawn(async (ctx) => void (await ctx.receive((m) => m === 'x'))))).toBe(true);
  });
});

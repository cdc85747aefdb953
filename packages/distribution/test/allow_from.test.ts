/**
 * `allowFrom`: an exposed rpc module or a registered spawnable limited to some nodes,
 * over TCP with three nodes. A refused node gets the answer of a module or spawnable
 * that does not exist; the caller's node is the connection's peer, whichever way the
 * request came (to the name `rex` or to its pid).
 */
import { BadArgError, call, Call, GenServer, type Pid, type ProcessContext } from '@grove/core';
import { expose, REX, rpc, RpcError, SpawnError, spawnRemote, type DistNode } from '@grove/distribution';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

afterEach(stopTcpNodes);

class Counter extends GenServer<{ call: 'get' }> {
  n = 0;
  override init(n: number) {
    this.n = n;
  }
  @Call() get(): number {
    return this.n;
  }
}

/** Three TCP nodes, all connected: `a` is allowed, `c` is not, `b` offers. */
async function three(): Promise<[DistNode, DistNode, DistNode]> {
  const a = await tcpNode('allow_a');
  const b = await tcpNode('allow_b');
  const c = await tcpNode('allow_c');
  expect(await a.connect(b.name)).toBe(true);
  expect(await c.connect(b.name)).toBe(true);
  return [a, b, c];
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
}

describe('allowFrom', () => {
  it('lets only the listed nodes call an exposed module; others are told it is not exposed', async () => {
    const [a, b, c] = await three();
    const casts: string[] = [];
    expose(b, 'math', { add: (x: number, y: number) => x + y, note: (who: string) => void casts.push(who) }, { allowFrom: [a.name] });
    expose(b, 'probe', { casts: () => casts.slice() });
    expect(await rpc.call(a, b.name, 'math', 'add', [1, 2])).toBe(3);
    // The node itself always may.
    expect(await rpc.call(b, b.name, 'math', 'add', [2, 2])).toBe(4);
    const refused = (await failure(rpc.call(c, b.name, 'math', 'add', [1, 2]))) as RpcError;
    const absent = (await failure(rpc.call(c, b.name, 'nothing', 'add', [1, 2]))) as RpcError;
    expect(refused).toBeInstanceOf(RpcError);
    expect(refused.kind).toBe('undef');
    expect(refused.reason).toBe(`module "math" is not exposed on ${b.name}`);
    expect(absent.reason).toBe(`module "nothing" is not exposed on ${b.name}`);
    // A cast is refused too: c's cast runs nothing, a's does (each probe call follows its node's cast in order).
    rpc.cast(c, b.name, 'math', 'note', ['c']);
    expect(await rpc.call(c, b.name, 'probe', 'casts')).toEqual([]);
    rpc.cast(a, b.name, 'math', 'note', ['a']);
    await waitFor(() => casts.length === 1, "a's cast runs");
    expect(casts).toEqual(['a']);
  });

  it('tells the caller apart by its connection, also when the request goes to the pid of rex', async () => {
    const [, b, c] = await three();
    expose(b, 'math', { add: (x: number, y: number) => x + y }, { allowFrom: (node) => node.startsWith('allow_a') });
    const rexPid = b.node.whereis(REX) as Pid;
    const reply = await c.node.run((ctx: ProcessContext) => call(ctx, rexPid, { type: 'rpc.call', id: ctx.node.makeRef(), module: 'math', fn: 'add', args: [1, 2] }));
    expect(reply).toEqual({ error: 'undef', reason: `module "math" is not exposed on ${b.name}` });
  });

  it('lets only the listed nodes spawn a registered spawnable; others are told it is not registered', async () => {
    const [a, b, c] = await three();
    b.registerSpawnable('sleeper', async (ctx: ProcessContext) => void (await ctx.receive((m) => m === 'stop')), { allowFrom: [a.name] });
    b.registerSpawnable(Counter, { allowFrom: (node) => node === a.name });
    const pid = await spawnRemote(a.node, b.name, 'sleeper');
    expect(pid.node).toBe(b.name);
    const counter = await spawnRemote(a.node, b.name, Counter, 7);
    expect(await counter.call.get()).toBe(7);
    const refused = (await failure(spawnRemote(c.node, b.name, 'sleeper'))) as SpawnError;
    const absent = (await failure(spawnRemote(c.node, b.name, 'nobody'))) as SpawnError;
    expect(refused).toBeInstanceOf(SpawnError);
    expect(refused.reason).toBe('unknown_spawnable');
    expect(refused.detail).toBe(`no spawnable named "sleeper" is registered on ${b.name}`);
    expect(absent.detail).toBe(`no spawnable named "nobody" is registered on ${b.name}`);
    expect(((await failure(spawnRemote(c.node, b.name, Counter, 1))) as SpawnError).reason).toBe('unknown_spawnable');
    b.node.send(pid, 'stop');
  });

  it('refuses a malformed allowFrom with a BadArgError', async () => {
    const b = await tcpNode('allow_bad');
    expect(() => expose(b, 'm', { f: () => 1 }, { allowFrom: ['not a node name'] })).toThrow(BadArgError);
    expect(() => expose(b, 'm', { f: () => 1 }, { allowFrom: 'a@host' as never })).toThrow(/allowFrom must be an array of node names or a function/);
    expect(() => b.registerSpawnable('s', () => undefined, { allowFrom: [42 as never] })).toThrow(/allowFrom must hold node names/);
    expect(() => b.registerSpawnable('s', () => undefined, 'a@host' as never)).toThrow(/options must be an object/);
    expect(rpc.exposed(b)).toEqual({});
  });
});

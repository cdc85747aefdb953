import { callServer, startSupervisor, stopServer, UnknownCallError, whichChildren, type Pid } from '@grove/core';
import { isNodeMessage, monitorNodes, NET_KERNEL, remoteChild, type NodeDownMessage, type NodeUpMessage } from '@grove/distribution';
import { forgedCall, memNode, stopAll, waitFor } from './router_helpers';

afterEach(stopAll);

describe('the net kernel over the in-memory transport', () => {
  it('answers ping with pong for a live node and pang for an unknown one', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    expect(await a.ping(b.name)).toBe('pong');
    expect(await a.ping('ghost@127.0.0.1')).toBe('pang');
    expect(await a.ping('not a node name')).toBe('pang');
    expect(a.nodes()).toEqual([b.name]);
  });

  it('answers a call it does not know with UnknownCallError, as any GenServer, and keeps serving', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    await expect(callServer(a.node, [NET_KERNEL, b.name], 'nonsense')).rejects.toThrow(UnknownCallError);
    expect(await a.ping(b.name)).toBe('pong');
  });

  it('refuses a peer with another cookie', async () => {
    const [a, b] = [await memNode('a'), await memNode('b', { cookie: 'other' })];
    expect(await a.connect(b.name)).toBe(false);
    expect(await b.ping(a.name)).toBe('pang');
    expect(a.nodes()).toEqual([]);
    expect(b.nodes()).toEqual([]);
  });

  it.each([[false], [true]])('settles a simultaneous connect (hidden: %s) with one connection and one nodeup per side', async (hidden) => {
    const [a, b] = [await memNode('a', { hidden }), await memNode('b', { hidden })];
    const events: string[] = [];
    const got: string[] = [];
    for (const d of [a, b]) {
      d.monitorNodes(d.node.spawnLoop((m) => void events.push(`${d.name}: ${(m as NodeUpMessage).type}`)), true, { nodeType: 'all' });
      d.node.spawnLoop((m) => void got.push(`${d.name} got ${String(m)}`), { name: 'inbox' });
    }
    // The same turn: both connections are pending when the handshakes cross.
    a.node.send(['inbox', b.name], 'from a');
    b.node.send(['inbox', a.name], 'from b');
    await waitFor(() => got.length === 2, 'both messages');
    expect(await a.ping(b.name)).toBe('pong');
    expect(await b.ping(a.name)).toBe('pong');
    expect({ events: events.sort(), got: got.sort(), nodes: [a.nodes('connected'), b.nodes('connected')] }).toEqual({
      events: [`${a.name}: nodeup`, `${b.name}: nodeup`],
      got: [`${a.name} got from b`, `${b.name} got from a`],
      nodes: [[b.name], [a.name]],
    });
  });

  it('connects transitively: a-b then b-c gives a-c', async () => {
    const [a, b, c] = [await memNode('a'), await memNode('b'), await memNode('c')];
    expect(await b.connect(c.name)).toBe(true);
    expect(await a.connect(b.name)).toBe(true);
    await waitFor(() => a.nodes().includes(c.name) && c.nodes().includes(a.name), 'a and c to connect');
    expect(a.nodes().sort()).toEqual([b.name, c.name].sort());
  });

  it('does not connect transitively with connectAll off', async () => {
    const [a, b, c] = [await memNode('a', { connectAll: false }), await memNode('b'), await memNode('c')];
    await b.connect(c.name);
    await a.connect(b.name);
    expect(await a.ping(b.name)).toBe('pong');
    expect(await b.ping(c.name)).toBe('pong');
    expect(a.nodes()).toEqual([b.name]);
  });

  it('connects only when asked with autoConnect off', async () => {
    const [a, b] = [await memNode('a', { autoConnect: false }), await memNode('b')];
    const got: unknown[] = [];
    b.node.spawnLoop((m) => void got.push(m), { name: 'inbox' });
    a.node.send(['inbox', b.name], 'dropped');
    expect(a.nodes('connected')).toEqual([]);
    expect(await a.connect(b.name)).toBe(true);
    a.node.send(['inbox', b.name], 'delivered');
    await waitFor(() => got.length === 1, 'the message');
    expect(got).toEqual(['delivered']);
  });

  it('keeps a hidden node out of nodes() and out of the mesh', async () => {
    const [h, b, c] = [await memNode('h', { hidden: true }), await memNode('b'), await memNode('c')];
    await b.connect(c.name);
    expect(await h.connect(b.name)).toBe(true);
    expect(await h.ping(b.name)).toBe('pong');
    expect(b.nodes()).toEqual([c.name]);
    expect(b.nodes('hidden')).toEqual([h.name]);
    expect(b.nodes('connected').sort()).toEqual([c.name, h.name].sort());
    expect(h.nodes()).toEqual([]);
    expect(h.nodes('hidden')).toEqual([b.name]);
    expect(c.nodes()).toEqual([b.name]);
  });

  it('sends nodeup and nodedown with the reason to node monitors', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const events = await a.node.run(async (ctx) => {
      monitorNodes(ctx);
      await a.connect(b.name);
      const up = (await ctx.receive(isNodeMessage)) as NodeUpMessage;
      a.disconnect(b.name);
      const down = (await ctx.receive(isNodeMessage)) as NodeDownMessage;
      return [up, down];
    });
    expect(events).toEqual([
      { type: 'nodeup', node: b.name, nodeType: 'visible' },
      { type: 'nodedown', node: b.name, nodeType: 'visible', reason: 'disconnect' },
    ]);
  });

  it('closes every connection when its process stops: nodedown net_kernel_terminated', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const down = a.node.run(async (ctx) => {
      monitorNodes(ctx);
      await a.connect(b.name);
      await ctx.receive(isNodeMessage);
      await stopServer(ctx, NET_KERNEL);
      return ctx.receive(isNodeMessage);
    });
    expect(await down).toEqual({ type: 'nodedown', node: b.name, nodeType: 'visible', reason: 'net_kernel_terminated' });
    expect(a.nodes()).toEqual([]);
    await waitFor(() => b.nodes().length === 0, 'b to see the connection close');
  });

  it('drops calls it cannot answer and messages it does not know, and never dies of them', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    expect(await a.ping(b.name)).toBe('pong');
    const kernel = b.node.whereis(NET_KERNEL)!;
    const server: [string, string] = [NET_KERNEL, b.name];
    for (const from of ['nobody', { pid: 'nope', tag: 1 }, { pid: { node: { toString: 'x' } }, tag: 1 }]) a.node.send(server, forgedCall(a.node, from, { type: 'is_auth', node: a.name }));
    for (const msg of ['garbage', { type: '$peers', nodes: 5 }, { type: '$peers' }, JSON.parse('{"type": "$peers", "nodes": [{"toString": "x"}]}')]) a.node.send(server, msg);
    expect(await a.ping(b.name)).toBe('pong');
    expect(b.node.whereis(NET_KERNEL)).toBe(kernel);
  });

  it('comes back when killed (the kernel supervisor restarts it): connections close with it, then connect again, and node monitors still hear', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const first = a.node.whereis(NET_KERNEL)!;
    const events = await a.node.run(async (ctx) => {
      monitorNodes(ctx);
      await a.connect(b.name);
      const up = await ctx.receive(isNodeMessage);
      ctx.exit(first, 'kill');
      const down = await ctx.receive(isNodeMessage);
      await waitFor(() => a.node.whereis(NET_KERNEL) !== undefined && !a.node.whereis(NET_KERNEL)!.equals(first), 'the net kernel to be restarted');
      expect(await a.ping(b.name)).toBe('pong');
      return [up, down, await ctx.receive(isNodeMessage)];
    });
    expect(events).toEqual([
      { type: 'nodeup', node: b.name, nodeType: 'visible' },
      { type: 'nodedown', node: b.name, nodeType: 'visible', reason: 'net_kernel_terminated' },
      { type: 'nodeup', node: b.name, nodeType: 'visible' },
    ]);
    expect(a.nodes()).toEqual([b.name]);
  });

  it('tells the peer of a disconnect with nodedown connection_closed', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    await a.connect(b.name);
    const down = b.node.run(async (ctx) => {
      monitorNodes(ctx);
      ctx.send(ctx.self, 'ready');
      await ctx.receive((m) => m === 'ready');
      a.disconnect(b.name);
      return ctx.receive(isNodeMessage);
    });
    expect(await down).toEqual({ type: 'nodedown', node: a.name, nodeType: 'visible', reason: 'connection_closed' });
  });

  it('tells hidden connections only to monitors that ask for them', async () => {
    const [a, h] = [await memNode('a'), await memNode('h', { hidden: true })];
    const got = await a.node.run(async (ctx) => {
      monitorNodes(ctx, true, { nodeType: 'all' });
      const other = ctx.spawn(async (c2) => {
        monitorNodes(c2);
        return c2.receive(isNodeMessage, 200);
      });
      await h.connect(a.name);
      const up = await ctx.receive(isNodeMessage);
      return [up, other];
    });
    expect(got[0]).toEqual({ type: 'nodeup', node: h.name, nodeType: 'hidden' });
  });

  it('restarts a crashed worker that a supervisor runs on another node', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    b.registerSpawnable('worker', async (ctx) => {
      ctx.register('remote_worker');
      await ctx.receive((m) => m === 'crash');
      throw new Error('worker crashed');
    });
    const sup = await startSupervisor(a.node, {
      flags: { strategy: 'one_for_one', intensity: 5, periodMs: 5000 },
      children: [remoteChild({ id: 'w', node: b.name, spawnable: 'worker' })],
    });
    const first = (await whichChildren(a.node, sup))[0]!.pid as Pid;
    expect(first.node).toBe(b.name);
    await waitFor(() => b.node.whereis('remote_worker') !== undefined, 'the worker to register');
    b.node.send('remote_worker', 'crash');
    await waitFor(() => {
      const p = b.node.whereis('remote_worker');
      return p !== undefined && !p.equals(first);
    }, 'the worker to be restarted on b');
    const second = b.node.whereis('remote_worker')!;
    // The new worker is linked to the supervisor across the wire, and a kill restarts it again.
    expect(b.node.processInfo(second)!.links.map(String)).toEqual([sup.toString()]);
    b.node.exit(second, 'kill');
    await waitFor(() => {
      const p = b.node.whereis('remote_worker');
      return p !== undefined && !p.equals(second);
    }, 'the second restart');
  });
});

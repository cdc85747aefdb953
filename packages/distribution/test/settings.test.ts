/**
 * Settings erl has at runtime: cookies per node (`erlang:get_cookie/set_cookie`),
 * `net_kernel:allow/1`, `hidden_connect_node`, `net_kernel:stop/0` with `is_alive/0`,
 * and the listen port range (`inet_dist_listen_min/max`).
 */
import { BadArgError, Node, type Pid } from '@grove/core';
import { isAlive, isNodeMessage, monitorNodes, NET_KERNEL, startDistributed, type DistNode, type DistOptions, type NodeDownMessage } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';
import * as net from 'node:net';
import { memNode, stopAll, waitFor } from './router_helpers';

afterEach(stopAll);

it('tells the net tick time (net_kernel:get_net_ticktime)', async () => {
  expect((await memNode('a')).netTickTimeMs).toBe(60_000);
  expect((await memNode('b', { netTickTimeMs: 20_000 })).netTickTimeMs).toBe(20_000);
});

describe('cookies at runtime', () => {
  it('reads the node cookie and sets it, used by the next connection', async () => {
    const [a, b] = [await memNode('a'), await memNode('b', { cookie: 'other' })];
    expect(a.getCookie()).toBe('test-cookie');
    expect(a.getCookie(b.name)).toBe('test-cookie');
    expect(await a.ping(b.name)).toBe('pang');
    a.setCookie('other');
    expect(a.getCookie()).toBe('other');
    expect(await a.ping(b.name)).toBe('pong');
  });

  it('uses a cookie per peer node, in both directions, and keeps the own cookie for others', async () => {
    const [a, b, c] = [await memNode('a'), await memNode('b', { cookie: 'bob-secret' }), await memNode('c')];
    a.setCookie('bob-secret', b.name);
    expect(a.getCookie(b.name)).toBe('bob-secret');
    expect(a.getCookie()).toBe('test-cookie');
    expect(await a.ping(b.name)).toBe('pong');
    expect(await a.ping(c.name)).toBe('pong');
    // d dials a: a checks d with the cookie it keeps for d.
    const d = await memNode('d', { cookie: 'dan-secret' });
    expect(await d.ping(a.name)).toBe('pang');
    a.setCookie('dan-secret', d.name);
    expect(await d.ping(a.name)).toBe('pong');
    a.setCookie('test-cookie', a.name); // its own name: the own cookie
    expect(a.getCookie()).toBe('test-cookie');
  });

  it('refuses a bad cookie or peer at the boundary', async () => {
    const a = await memNode('a');
    expect(() => a.setCookie('')).toThrow(BadArgError);
    expect(() => a.setCookie(42 as unknown as string)).toThrow(BadArgError);
    expect(() => a.setCookie('x', 'not a node')).toThrow(/peer must be a node name/);
    expect(a.getCookie()).toBe('test-cookie');
  });
});

describe('allow (net_kernel:allow/1)', () => {
  it('refuses connections from nodes not in the list, and the list only grows', async () => {
    const [a, b, c] = [await memNode('a'), await memNode('b'), await memNode('c')];
    expect(await c.ping(a.name)).toBe('pong'); // before allow: anyone
    a.allow([b.name]);
    expect(await b.ping(a.name)).toBe('pong');
    expect(a.nodes()).toContain(c.name); // a connection already up stays
    c.disconnect(a.name);
    await waitFor(() => !a.nodes().includes(c.name), 'a to see c go');
    expect(await c.ping(a.name)).toBe('pang');
    expect(await a.ping(c.name)).toBe('pang'); // nor does a connect to it
    a.allow([c.name]);
    expect(await c.ping(a.name)).toBe('pong');
  });

  it('is in force from the start with the allow option, and checks its argument', async () => {
    const b = await memNode('b');
    const c = await memNode('c');
    const a = await memNode('a', { allow: [b.name] });
    expect(await c.ping(a.name)).toBe('pang');
    expect(await b.ping(a.name)).toBe('pong');
    expect(() => a.allow(['nope'])).toThrow(BadArgError);
    await expect(memNode('x', { allow: 'b@127.0.0.1' as unknown as string[] })).rejects.toThrow(/allow must be an array of node names/);
  });
});

describe('allow and the kernel supervisor', () => {
  it('keeps the allow list when the net kernel is killed and restarted', async () => {
    const [a, b, c] = [await memNode('a'), await memNode('b'), await memNode('c')];
    a.allow([b.name]);
    const first = a.node.whereis(NET_KERNEL)!;
    a.node.exit(first, 'kill');
    await waitFor(() => a.node.whereis(NET_KERNEL) !== undefined && !a.node.whereis(NET_KERNEL)!.equals(first), 'the net kernel to be restarted');
    expect(await c.ping(a.name)).toBe('pang');
    expect(await b.ping(a.name)).toBe('pong');
  });
});

describe('hidden connect (net_kernel:hidden_connect_node)', () => {
  it('connects a visible node hidden to one peer: out of nodes() on both sides, and out of the mesh', async () => {
    const [a, b, c] = [await memNode('a'), await memNode('b'), await memNode('c')];
    expect(await b.connect(c.name)).toBe(true);
    expect(await a.hiddenConnect(b.name)).toBe(true);
    expect(a.nodes()).toEqual([]);
    expect(a.nodes('hidden')).toEqual([b.name]);
    expect(b.nodes('hidden')).toEqual([a.name]);
    expect(b.nodes()).toEqual([c.name]);
    expect(await a.ping(b.name)).toBe('pong');
    expect(a.nodes('connected')).toEqual([b.name]); // no transitive connection to c
    // Other connections of a stay visible.
    expect(await a.connect(c.name)).toBe(true);
    expect(a.nodes()).toEqual([c.name]);
  });
});

describe('stopping distribution at runtime (net_kernel:stop/0)', () => {
  it('closes connections (peers see nodedown), keeps the node running locally, and isAlive turns false', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    expect(isAlive(a.node)).toBe(true);
    expect(isAlive(a)).toBe(true);
    const downs: NodeDownMessage[] = [];
    const watcher: Pid = b.node.spawnLoop((m) => {
      if (isNodeMessage(m) && m.type === 'nodedown') downs.push(m);
    });
    b.monitorNodes(watcher);
    const got: unknown[] = [];
    const local = a.node.spawnLoop((m) => void got.push(m), { name: 'keeper' });
    expect(await a.ping(b.name)).toBe('pong');
    const remote = b.node.spawnLoop(() => undefined);
    const downSeen: unknown[] = [];
    let monitored = false;
    a.node.spawn(async (ctx) => {
      ctx.monitor(remote);
      monitored = true;
      downSeen.push(await ctx.receive());
    });
    await waitFor(() => monitored, 'the monitor');
    await a.stopDistribution();
    await waitFor(() => downSeen.length === 1, 'the DOWN of the remote process');
    expect(downSeen[0]).toMatchObject({ type: 'DOWN', reason: 'noconnection' });
    await waitFor(() => downs.length === 1, 'b to see nodedown');
    expect(downs[0]!.node).toBe(a.name);
    expect(isAlive(a.node)).toBe(false);
    expect(a.alive).toBe(false);
    expect(b.nodes()).toEqual([]);
    // Locally, everything goes on.
    expect(a.node.isAlive(local)).toBe(true);
    a.node.send('keeper', 'still here');
    await waitFor(() => got.length === 1, 'the local message');
    expect(await b.ping(a.name)).toBe('pang');
    // A send to another node is dropped, not thrown.
    a.node.send(['keeper', b.name], 'lost');
    await a.stop();
  });

  it('is false for a node that is not distributed', async () => {
    const n = new Node();
    expect(isAlive(n)).toBe(false);
    n.halt();
  });

  it('stops monitorNodes from working after stopDistribution', async () => {
    const a = await memNode('a');
    await a.stopDistribution();
    const pid = a.node.spawnLoop(() => undefined);
    expect(() => monitorNodes({ node: a.node, self: pid } as never)).toThrow(/not distributed/);
  });
});

describe('starting distribution on a running node (net_kernel:start)', () => {
  it('keeps its processes and names, which peers reach; stopped and started again, it reconnects', async () => {
    const b = await memNode('b');
    const name = `live${process.pid}@127.0.0.1`;
    const node = new Node({ name });
    const got: unknown[] = [];
    const keeper = node.spawnLoop((m) => void got.push(m), { name: 'keeper' });
    expect(isAlive(node)).toBe(false);
    const a = await startDistributed({ name, node, transport: 'memory', cookie: 'test-cookie' });
    try {
      expect(a.node).toBe(node);
      expect(a.name).toBe(name);
      expect(isAlive(node)).toBe(true);
      b.node.send(['keeper', name], 'by name');
      b.node.send(keeper, 'by pid'); // a pid made before distribution started
      await waitFor(() => got.length === 2, 'both messages');
      expect(got).toEqual(['by name', 'by pid']);
      await a.stopDistribution();
      expect(isAlive(node)).toBe(false);
      expect(node.isAlive(keeper)).toBe(true);
      const again = await startDistributed({ name, node, transport: 'memory', cookie: 'test-cookie' });
      expect(isAlive(node)).toBe(true);
      expect(await again.ping(b.name)).toBe('pong');
      b.node.send(keeper, 'again');
      await waitFor(() => got.length === 3, 'the message after the restart');
      await again.stop();
    } finally {
      node.halt();
    }
  });

  it('refuses a nonode@nohost node (its pids cannot be renamed), another name, or a node already distributed', async () => {
    const local = new Node();
    await expect(startDistributed({ name: 'local@127.0.0.1', node: local, transport: 'memory' })).rejects.toThrow(/cannot rename its live processes/);
    local.halt();
    const named = new Node({ name: `n${process.pid}@127.0.0.1` });
    await expect(startDistributed({ name: 'other@127.0.0.1', node: named, transport: 'memory' })).rejects.toThrow(/a running node keeps its name/);
    const a = await startDistributed({ name: named.name, node: named, transport: 'memory' });
    await expect(startDistributed({ name: named.name, node: named, transport: 'memory' })).rejects.toThrow(/already distributed/);
    await a.stop();
  });
});

describe('listen port range (inet_dist_listen_min/max)', () => {
  let epmd: EpmdServer;
  const started: DistNode[] = [];
  beforeAll(async () => {
    epmd = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((d) => d.stop()));
  });
  afterAll(() => epmd.stop());

  it('listens on the first free port of the range', async () => {
    // Hold one port, and ask for a range starting at it.
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const held = (blocker.address() as net.AddressInfo).port;
    try {
      const max = Math.min(held + 20, 65535);
      const d = await startDistributed({ name: `range_${process.pid}@127.0.0.1`, cookie: 'c', epmdPort: epmd.port, portRange: { min: held, max } });
      started.push(d);
      expect(d.address.port).toBeGreaterThan(held);
      expect(d.address.port).toBeLessThanOrEqual(max);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('fails clearly when every port of the range is taken, and checks the range', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const held = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startDistributed({ name: `full_${process.pid}@127.0.0.1`, cookie: 'c', epmdPort: epmd.port, portRange: { min: held, max: held } })).rejects.toThrow(
        `every port from ${held} to ${held} is in use`,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    await expect(startDistributed({ name: 'r@127.0.0.1', cookie: 'c', portRange: { min: 10, max: 5 } })).rejects.toThrow(/portRange must be/);
    await expect(startDistributed({ name: 'r@127.0.0.1', cookie: 'c', port: 1, portRange: { min: 1, max: 5 } })).rejects.toThrow(/cannot go together/);
    await expect(startDistributed({ name: 'r@127.0.0.1', cookie: 'c', port: 70000 })).rejects.toThrow(/port must be/);
  });

  it('refuses a preventOverlappingPartitions that is not a boolean', async () => {
    const bad = { name: 'r@127.0.0.1', cookie: 'c', transport: 'memory', preventOverlappingPartitions: 'no' } as unknown as DistOptions;
    await expect(startDistributed(bad)).rejects.toThrow(BadArgError);
    await expect(startDistributed(bad)).rejects.toThrow(/preventOverlappingPartitions must be a boolean, got no/);
  });
});

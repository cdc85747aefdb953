/**
 * The transitive mesh's peer lists (`$peers` to `net_kernel`, sent when a visible
 * connection comes up) against a hostile or buggy sender, over TCP. A node's dials
 * are counted at its port mapper, through a counting proxy: every dial starts with
 * a lookup there.
 */
import { GenCall, ManualClock, reply } from '@grove/core';
import { GLOBAL_NAME_SERVER, globalOf, NET_KERNEL, type DistNode } from '@grove/distribution';
import { MESH_DIALS_PER_LIST, MESH_DIALS_PER_PERIOD, MESH_PERIOD_MS } from '@grove/distribution/internal';
import { countingProxy, type CountingProxy } from './support/counting_proxy';
import { stopTcpNodes, tcpEpmdPort, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

let proxy: CountingProxy | null = null;

afterEach(async () => {
  await stopTcpNodes();
  await proxy?.close();
  proxy = null;
});

/** Node `b`, whose port-mapper lookups go through a counting proxy, connected to a peer `a`. */
async function setup(bOptions: Parameters<typeof tcpNode>[1] = {}): Promise<{ a: DistNode; b: DistNode; lookups: CountingProxy }> {
  const lookups = (proxy = await countingProxy(await tcpEpmdPort()));
  const b = await tcpNode('b', { epmdPort: lookups.port, ...bOptions });
  const a = await tcpNode('a');
  expect(await a.connect(b.name)).toBe(true);
  await waitFor(() => b.nodes().includes(a.name), 'b to see a');
  return { a, b, lookups };
}

/** How many lookups (dials) `b` starts after `act`: waits until `a`'s messages before a ping were handled, then for the accept queue. */
async function dialsAfter(lookups: CountingProxy, a: DistNode, b: DistNode, act: () => void): Promise<number> {
  await lookups.settled();
  const before = lookups.count;
  act();
  expect(await a.ping(b.name)).toBe('pong');
  await lookups.settled();
  return lookups.count - before;
}

const ghosts = (from: number, n: number): string[] => Array.from({ length: n }, (_x, i) => `ghost${from + i}_${process.pid}@127.0.0.1`);

describe('the mesh\'s peer lists', () => {
  it('make a node dial at most the cap per list, and at most the window\'s budget until the window passes', async () => {
    const clock = new ManualClock();
    const { a, b, lookups } = await setup({ nodeOptions: { clock } });
    const list = (nodes: string[]) => () => a.node.send([NET_KERNEL, b.name], { type: '$peers', nodes });
    expect(await dialsAfter(lookups, a, b, list(ghosts(0, 500)))).toBe(MESH_DIALS_PER_LIST);
    expect(await dialsAfter(lookups, a, b, list(ghosts(1000, 500)))).toBe(MESH_DIALS_PER_PERIOD - MESH_DIALS_PER_LIST);
    expect(await dialsAfter(lookups, a, b, list(ghosts(2000, 500)))).toBe(0);
    clock.advance(MESH_PERIOD_MS);
    expect(await dialsAfter(lookups, a, b, list(ghosts(3000, 500)))).toBe(MESH_DIALS_PER_LIST);
    expect(b.nodes()).toEqual([a.name]);
  });

  it('are honoured only from a peer\'s connection, and only for names this node would connect to', async () => {
    const { a, b, lookups } = await setup();
    const peers = { type: '$peers', nodes: ghosts(0, 3) };
    // From a local process, to the registered name.
    expect(await dialsAfter(lookups, a, b, () => b.node.send(NET_KERNEL, peers))).toBe(0);
    // From a peer's process, to the kernel's pid rather than through the connection's name.
    expect(await dialsAfter(lookups, a, b, () => a.node.send(b.node.whereis(NET_KERNEL)!, peers))).toBe(0);
    // From the peer, names no node would dial: garbage, another kind (short names), itself, a connected node, repeats.
    const bad = ['not a node', 42, null, { toString: 'x' }, `ghost_${process.pid}@localhost`, 'x@y@z', b.name, a.name, '@127.0.0.1'];
    expect(await dialsAfter(lookups, a, b, () => a.node.send([NET_KERNEL, b.name], { type: '$peers', nodes: bad }))).toBe(0);
    expect(await dialsAfter(lookups, a, b, () => a.node.send([NET_KERNEL, b.name], { type: '$peers', nodes: 'all' }))).toBe(0);
    // The same names, well-formed, from the peer: dialled once each.
    expect(await dialsAfter(lookups, a, b, () => a.node.send([NET_KERNEL, b.name], { type: '$peers', nodes: [...peers.nodes, ...peers.nodes] }))).toBe(3);
    expect(b.node.whereis(NET_KERNEL)).toBeDefined();
  });

  it("bound global's sync too: the nodes a peer's partition lists are dialled within the same caps", async () => {
    const lookups = (proxy = await countingProxy(await tcpEpmdPort()));
    const b = await tcpNode('m', { epmdPort: lookups.port }); // the smaller name: b runs the sync of the pair
    const a = await tcpNode('z');
    // a's name server answers that its partition is 500 nodes (a peer that lies, or a bug).
    a.node.unregister(GLOBAL_NAME_SERVER);
    a.node.spawnLoop(
      (m) => {
        if (!(m instanceof GenCall)) return;
        const type = (m.request as { type?: unknown }).type;
        reply(a.node, m.from, type === 'global.nodes' ? ghosts(0, 500) : type === 'global.names' ? [] : type === 'global.set_lock' ? true : 'ok');
      },
      { name: GLOBAL_NAME_SERVER },
    );
    await lookups.settled();
    const before = lookups.count;
    expect(await a.connect(b.name)).toBe(true);
    await globalOf(b).sync();
    await lookups.settled();
    expect(lookups.count - before).toBe(MESH_DIALS_PER_LIST);
    expect(b.nodes()).toEqual([a.name]);
  });
});

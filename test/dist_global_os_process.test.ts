/**
 * global's cluster conformance with every node in its own OS process
 * (test/fixtures/rpc_node.js) over TCP, with a private port mapper: overlapping
 * partitions (OTP 25's `prevent_overlapping_partitions`, on by default, and off),
 * one global name per process, and a registration that every node sees at once.
 */
import { removeTranspiled, transpilePackages } from './support/children';
import { cleanup, nodeName, privateEpmd, startChild, waitFor, type ChildNode } from './support/nodes';

jest.setTimeout(60_000);

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);
afterEach(cleanup);

/** `n` nodes in child processes, fully meshed (the first connects to the others) and synced. */
async function cluster(n: number, env: Record<string, string> = {}): Promise<ChildNode[]> {
  const epmd = await privateEpmd();
  const ns = await Promise.all([...Array(n)].map((_x, i) => startChild('rpc_node', nodeName(`glob${i}_`), epmd, env)));
  for (const c of ns.slice(1)) expect(await ns[0]!.request('connect', { node: c.name })).toBe(true);
  await waitFor(async () => (await Promise.all(ns.map((c) => c.request<string[]>('nodes')))).every((v) => v.length === n - 1), 'a full mesh');
  for (const c of ns) await c.request('sync');
  return ns;
}

const nodesOf = (c: ChildNode): Promise<string[]> => c.request<string[]>('nodes');
const whereis = (c: ChildNode, name: string): Promise<string | null> => c.request<string | null>('whereis', { name });

/**
 * Waits until `x` and `y` are apart and every node's view (itself and its nodes) is the
 * same as the view of each node in it: the cluster is fully connected partitions. Then,
 * once each global server has handled what it was told (a sync call queues behind it),
 * waits for that again and returns each node's partition.
 */
async function partitions(ns: readonly ChildNode[], x: ChildNode, y: ChildNode): Promise<Map<string, string[]>> {
  const settled = async (): Promise<Map<string, string[]> | null> => {
    const views = new Map(await Promise.all(ns.map(async (n) => [n.name, [n.name, ...(await nodesOf(n))].sort()] as const)));
    const cliques = [...views.values()].every((v) => v.every((m) => views.get(m)!.join() === v.join()));
    return cliques && !views.get(x.name)!.includes(y.name) ? views : null;
  };
  await waitFor(async () => (await settled()) !== null, 'fully connected partitions');
  for (const n of ns) await n.request('sync');
  let views: Map<string, string[]> | null = null;
  await waitFor(async () => (views = await settled()) !== null, 'fully connected partitions, once global handled its news');
  return views!;
}

/** True when exactly the nodes of `holder`'s partition see `name`. */
async function seenByPartitionOf(ns: readonly ChildNode[], views: Map<string, string[]>, holder: ChildNode, name: string): Promise<void> {
  for (const n of ns) expect([n.name, (await whereis(n, name)) !== null]).toEqual([n.name, views.get(holder.name)!.includes(n.name)]);
}

describe('overlapping partitions across OS processes', () => {
  it('disconnects a node connected to both sides of a lost connection, so no node keeps a name the others dropped', async () => {
    const ns = await cluster(3);
    const [a, b, c] = ns as [ChildNode, ChildNode, ChildNode];
    expect(await b.request('register', { name: 'on_b' })).toBe(true);
    expect(await whereis(c, 'on_b')).not.toBeNull();
    await a.request('disconnect', { node: b.name });
    // c hears that a lost b and that b lost a, and leaves both (each node ends up alone,
    // as in OTP 25, unless c left b before b could tell it): never c with both.
    const views = await partitions(ns, a, b);
    expect(views.get(c.name)!.length).toBeLessThan(3);
    expect(await a.request('register', { name: 'after' })).toBe(true);
    await seenByPartitionOf(ns, views, a, 'after');
    await seenByPartitionOf(ns, views, b, 'on_b');
    // The partitions heal as usual: connects, then the mesh and global's sync do the rest.
    expect(await a.request('connect', { node: b.name })).toBe(true);
    expect(await b.request('connect', { node: c.name })).toBe(true);
    await waitFor(async () => (await Promise.all(ns.map(nodesOf))).every((v) => v.length === 2), 'the healed mesh');
    for (const n of ns) await n.request('sync');
    const holder = await whereis(a, 'after');
    for (const n of [b, c]) expect(await whereis(n, 'after')).toBe(holder);
  });

  it('leaves fully connected partitions in a cluster of four, the two bystanders together', async () => {
    const ns = await cluster(4);
    const [a, b, c, d] = ns as [ChildNode, ChildNode, ChildNode, ChildNode];
    await a.request('disconnect', { node: b.name });
    // Which of a and b the bystanders leave depends on who hears what first (in OTP too).
    const views = await partitions(ns, a, b);
    expect(views.get(c.name)).toContain(d.name);
    expect(await c.request('register', { name: 'cd' })).toBe(true);
    await seenByPartitionOf(ns, views, c, 'cd');
  });

  it('leaves overlapping partitions in place with preventOverlappingPartitions: false (the setting before OTP 25)', async () => {
    const [a, b, c] = (await cluster(3, { GLOBAL_POP: 'false' })) as [ChildNode, ChildNode, ChildNode];
    await a.request('disconnect', { node: b.name });
    await waitFor(async () => (await nodesOf(a)).join() === c.name && (await nodesOf(b)).join() === c.name, 'a and b apart');
    await c.request('sync');
    expect((await nodesOf(c)).sort()).toEqual([a.name, b.name].sort());
    // What the default prevents: c sees a name registered by a, b does not.
    expect(await a.request('register', { name: 'split' })).toBe(true);
    expect(await whereis(c, 'split')).not.toBeNull();
    expect(await whereis(b, 'split')).toBeNull();
  });
});

describe('global names across OS processes', () => {
  it('refuses a second name for a process that holds one, on its own node and on another (OTP register_name)', async () => {
    const [a, b] = (await cluster(2)) as [ChildNode, ChildNode];
    expect(await a.request('register', { name: 'x' })).toBe(true);
    expect(await a.request('registerHolder', { name: 'y', holder: 'x' })).toBe(false);
    expect(await b.request('registerHolder', { name: 'y', holder: 'x' })).toBe(false);
    expect(await whereis(a, 'y')).toBeNull();
    expect(await whereis(b, 'y')).toBeNull();
    // re_register_name does not check, as in OTP.
    expect(await b.request('reRegisterHolder', { name: 'y', holder: 'x' })).toBe(true);
    expect(await whereis(a, 'y')).toBe(await whereis(a, 'x'));
  });

  it('has the name on every node as soon as a registration resolves, through every round of a race', async () => {
    const ns = await cluster(3);
    for (let round = 0; round < 10; round++) {
      const name = `seen_${round}`;
      const wins = await Promise.all(ns.map((c) => c.request<boolean>('register', { name })));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const holder = await whereis(ns[wins.indexOf(true)]!, name);
      expect(holder).not.toBeNull();
      for (const c of ns) expect(await whereis(c, name)).toBe(holder);
    }
  });

  it('resolves a name each of five nodes held when they all connect at once: one holder everywhere, the others exited', async () => {
    const epmd = await privateEpmd();
    const ns = await Promise.all([...Array(5)].map((_x, i) => startChild('rpc_node', nodeName(`clash${i}_`), epmd)));
    for (const c of ns) expect(await c.request('registerOwn', { name: 'x' })).toBe(true);
    const links: Array<Promise<unknown>> = [];
    for (const [i, a] of ns.entries()) for (const b of ns.slice(i + 1)) links.push(a.request('connect', { node: b.name }));
    expect(await Promise.all(links)).toEqual(links.map(() => true));
    await waitFor(async () => (await Promise.all(ns.map(nodesOf))).every((v) => v.length === ns.length - 1), 'a full mesh');
    for (const c of ns) await c.request('sync');
    await waitFor(async () => new Set(await Promise.all(ns.map((c) => whereis(c, 'x')))).size === 1, 'one holder everywhere');
    const holder = await whereis(ns[0]!, 'x');
    type Own = { key: string; reason: unknown; exits: number };
    await waitFor(async () => (await Promise.all(ns.map((c) => c.request<Own>('ownExit', { name: 'x' })))).filter((o) => o.exits === 1).length === ns.length - 1, 'the losers exited');
    const owns = await Promise.all(ns.map((c) => c.request<Own>('ownExit', { name: 'x' })));
    expect(owns.filter((o) => o.key === holder).map((o) => o.reason)).toEqual([null]);
    for (const o of owns.filter((x) => x.key !== holder)) expect(o.reason).toEqual({ globalNameConflict: 'x' });
  });
});

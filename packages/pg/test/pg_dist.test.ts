/**
 * pg across nodes of one OS process, linked by @grove/distribution's in-memory transport
 * (real router, net kernel and wire codec; no sockets). The OS-process cluster tests
 * are in the repository's test/pg_cluster.test.ts.
 */
import { isDownMessage, type Pid } from '@grove/core';
import type { DistNode, DistOptions } from '@grove/distribution';
import * as pg from '@grove/pg';
import { idle, keys, memNode, stopAll, waitFor } from './helpers';

afterEach(stopAll);

let n = 0;
const scopeName = (): string => `pg_dist_${++n}`;

/** True once every node sees exactly `want` as the members of `group`. */
function everywhere(nodes: DistNode[], scope: string, group: unknown, want: Pid[]): () => boolean {
  const w = keys(want).join();
  return () => nodes.every((d) => keys(pg.getMembers(d.node, scope, group)).join() === w);
}

/** Two memory nodes, not yet connected, and a fresh scope started on both. */
async function scopeOnTwoNodes(options: Partial<DistOptions> = {}): Promise<{ a: DistNode; b: DistNode; s: string }> {
  const [a, b] = [await memNode('a', options), await memNode('b', options)];
  const s = scopeName();
  await pg.start(a.node, s);
  await pg.start(b.node, s);
  return { a, b, s };
}

describe('pg across nodes', () => {
  it('shows the members joined on each node on the other once they connect', async () => {
    const { a, b, s } = await scopeOnTwoNodes();
    const p = a.node.spawn(idle);
    const q = b.node.spawn(idle);
    await pg.join(a.node, s, 'room', p);
    await pg.join(b.node, s, 'room', [q, q]);
    expect(await a.connect(b.name)).toBe(true);
    await waitFor(everywhere([a, b], s, 'room', [p, q, q]), 'both nodes to see p and q twice');
    expect(pg.getLocalMembers(a.node, s, 'room')).toEqual([p]);
    expect(pg.getLocalMembers(b.node, s, 'room')).toEqual([q, q]);
  });

  it('propagates joins, leaves and exits made once connected, and tells remote monitors', async () => {
    const { a, b, s } = await scopeOnTwoNodes();
    await a.connect(b.name);
    await waitFor(() => hasPeer(a, b, s) && hasPeer(b, a, s), 'the scopes to discover each other');
    let subscribed!: () => void;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    const events = b.node.run(async (ctx) => {
      const { ref } = await pg.monitor(ctx, s, 'g');
      subscribed();
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await ctx.receive((m) => pg.isGroupEvent(m, ref)));
      return got;
    });
    await ready;
    const p = a.node.spawn(idle);
    const q = a.node.spawn(idle);
    await pg.join(a.node, s, 'g', [p, q]);
    await pg.leave(a.node, s, 'g', q);
    a.node.send(p, 'stop');
    const got = await events;
    expect(got.map((e) => [e.event, keys(e.pids)])).toEqual([
      ['join', keys([p, q])],
      ['leave', keys([q])],
      ['leave', keys([p])],
    ]);
    expect(pg.getMembers(b.node, s, 'g')).toEqual([]);
  });

  it('drops the members of a node that disconnects, and syncs them back when it reconnects', async () => {
    // No auto-connect: another service's late send (global's sync) must not undo the disconnect.
    const { a, b, s } = await scopeOnTwoNodes({ autoConnect: false });
    const p = a.node.spawn(idle);
    const q = b.node.spawn(idle);
    await pg.join(a.node, s, 'g', p);
    await pg.join(b.node, s, 'g', q);
    await a.connect(b.name);
    await waitFor(everywhere([a, b], s, 'g', [p, q]), 'the first sync');
    a.disconnect(b.name);
    await waitFor(everywhere([a], s, 'g', [p]), 'a to drop q');
    await waitFor(everywhere([b], s, 'g', [q]), 'b to drop p');
    // Changes while apart are in the sync that follows the reconnect.
    const p2 = a.node.spawn(idle);
    await pg.join(a.node, s, 'g', p2);
    expect(await a.connect(b.name)).toBe(true);
    await waitFor(everywhere([a, b], s, 'g', [p, p2, q]), 'the sync after the reconnect');
  });

  it('syncs a scope started after the nodes connected', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const s = scopeName();
    await a.connect(b.name);
    await pg.start(a.node, s);
    const p = a.node.spawn(idle);
    await pg.join(a.node, s, 'g', p);
    await pg.start(b.node, s);
    await waitFor(everywhere([a, b], s, 'g', [p]), 'b to sync with a');
  });

  it('does not sync with a node where the scope does not run, and syncs once it starts there', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const s = scopeName();
    const scopePid = await pg.start(a.node, s);
    const p = a.node.spawn(idle);
    await pg.join(a.node, s, 'g', p);
    await a.connect(b.name);
    expect(await b.ping(a.name)).toBe('pong');
    await pg.join(a.node, s, 'g', p); // a's scope handled the nodeup and lives on
    expect(a.node.isAlive(scopePid)).toBe(true);
    expect(pg.getMembers(b.node, s, 'g')).toEqual([]);
    await pg.start(b.node, s);
    await waitFor(everywhere([a, b], s, 'g', [p, p]), 'b to sync once its scope runs');
  });

  it('keeps scopes of different names apart', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const [s1, s2] = [scopeName(), scopeName()];
    await Promise.all([pg.start(a.node, s1), pg.start(b.node, s1), pg.start(a.node, s2), pg.start(b.node, s2)]);
    await a.connect(b.name);
    const p = a.node.spawn(idle);
    await pg.join(a.node, s1, 'g', p);
    const marker = a.node.spawn(idle);
    await pg.join(a.node, s2, 'marker', marker);
    await waitFor(everywhere([a, b], s1, 'g', [p]), 's1 to sync');
    await waitFor(everywhere([a, b], s2, 'marker', [marker]), 's2 to sync');
    expect(pg.getMembers(b.node, s2, 'g')).toEqual([]);
  });

  it('drops the members of a peer scope that crashed, and syncs with its restart', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const s = scopeName();
    await pg.start(a.node, s);
    const bScope = await pg.start(b.node, s);
    await a.connect(b.name);
    const q = b.node.spawn(idle);
    await pg.join(b.node, s, 'g', q);
    await waitFor(everywhere([a, b], s, 'g', [q]), 'the first sync');
    await b.node.run(async (ctx) => {
      const ref = ctx.monitor(bScope);
      ctx.send(bScope, 'garbage');
      await ctx.receive((m) => isDownMessage(m, ref));
    });
    await waitFor(() => pg.getMembers(a.node, s, 'g').length === 0, 'a to drop the crashed scope members');
    await pg.start(b.node, s);
    await pg.join(b.node, s, 'g', q);
    await waitFor(everywhere([a, b], s, 'g', [q]), 'a to sync with the restarted scope');
  });

  it('applies a sync from a known peer as a difference, telling monitors what changed', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const s = scopeName();
    await pg.start(a.node, s);
    await a.connect(b.name);
    const [p1, p2, p3] = [b.node.spawn(idle), b.node.spawn(idle), b.node.spawn(idle)];
    // A stand-in for b's scope: it speaks the peer protocol by hand.
    const events = await a.node.run(async (ctx) => {
      const { ref } = await pg.monitorScope(ctx, s);
      const me = ctx.self;
      b.node.spawn(async (peer) => {
        peer.send([s, a.name], { type: 'pg_sync', peer: peer.self, groups: [['g', [p1, p2]]] });
        peer.send([s, a.name], { type: 'pg_sync', peer: peer.self, groups: [['g', [p2, p3]], ['h', [p1]]] });
        peer.send(me, 'sent');
        await peer.receive((m) => m === 'stop');
      });
      const got = [];
      for (let i = 0; i < 4; i++) got.push(await ctx.receive((m) => pg.isGroupEvent(m, ref)));
      return got;
    });
    expect(events.map((e) => [e.event, e.group, keys(e.pids)])).toEqual([
      ['join', 'g', keys([p1, p2])],
      ['leave', 'g', keys([p1])],
      ['join', 'g', keys([p3])],
      ['join', 'h', keys([p1])],
    ]);
    expect(keys(pg.getMembers(a.node, s, 'g'))).toEqual(keys([p2, p3]));
    expect(pg.getMembers(a.node, s, 'h')).toEqual([p1]);
    expect(pg.getLocalMembers(a.node, s, 'g')).toEqual([]);
  });

  it('keeps groups keyed by term across the wire', async () => {
    const { a, b, s } = await scopeOnTwoNodes();
    await a.connect(b.name);
    const p = a.node.spawn(idle);
    await pg.join(a.node, s, { room: 'lobby', shard: 2n, tags: new Set(['x', 'y']) }, p);
    const same = { tags: new Set(['y', 'x']), shard: 2n, room: 'lobby' };
    await waitFor(() => pg.getMembers(b.node, s, same).length === 1, 'b to see the term-keyed group');
    expect(pg.whichGroups(b.node, s)).toEqual([{ room: 'lobby', shard: 2n, tags: new Set(['x', 'y']) }]);
  });
});

describe('pg across three nodes at scale', () => {
  it('converges to the same view of 10,000 members joined before and after connecting', async () => {
    const ds = [await memNode('a'), await memNode('b'), await memNode('c')];
    const s = scopeName();
    for (const d of ds) await pg.start(d.node, s);
    const total = 10_000;
    const joinSome = async (d: DistNode, count: number, from: number): Promise<void> => {
      for (let i = 0; i < count; i += 100) {
        const batch = Array.from({ length: Math.min(100, count - i) }, () => d.node.spawn(idle));
        await pg.join(d.node, s, `g${(from + i) % 10}`, batch);
      }
    };
    // Half before the mesh forms, half after.
    const per = [3334, 3333, 3333];
    await Promise.all(ds.map((d, k) => joinSome(d, Math.floor(per[k]! / 2), k)));
    await ds[0]!.connect(ds[1]!.name);
    await ds[0]!.connect(ds[2]!.name);
    await Promise.all(ds.map((d, k) => joinSome(d, per[k]! - Math.floor(per[k]! / 2), k + 5)));
    const view = (d: DistNode): string =>
      pg
        .whichGroups(d.node, s)
        .map((g) => `${String(g)}:${keys(pg.getMembers(d.node, s, g)).join(',')}`)
        .sort()
        .join('|');
    const count = (d: DistNode): number => pg.whichGroups(d.node, s).reduce<number>((n, g) => n + pg.getMembers(d.node, s, g).length, 0);
    await waitFor(() => ds.every((d) => count(d) === total), 'every node to count 10,000 members', 20_000);
    expect(new Set(ds.map(view)).size).toBe(1);
  });
});

/** True when a's scope monitors b's scope (they discovered each other). */
function hasPeer(a: DistNode, b: DistNode, s: string): boolean {
  const bScope = b.node.whereis(s);
  const info = a.node.processInfo(a.node.whereis(s)!);
  return bScope !== undefined && info !== undefined && info.monitors.some((m) => !Array.isArray(m) && bScope.equals(m));
}

/**
 * global under contention and partitions, on in-memory nodes: registrations racing
 * for one name, partitions that each register a name and then heal, locks.
 */
import type { Pid } from '@grove/core';
import { globalOf, notifyAllName, randomNotifyName, type DistNode, type ResolveFn } from '@grove/distribution';
import { cluster, exitReason, idle, memNode, stopAll, synced, tables, waitFor } from './global_helpers';

afterEach(stopAll);

/** Disconnects every pair across the two sides and waits until neither side sees the other. */
async function partition(left: readonly DistNode[], right: readonly DistNode[]): Promise<void> {
  for (const l of left) for (const r of right) l.disconnect(r.name);
  await waitFor(() => left.every((l) => right.every((r) => !l.nodes().includes(r.name) && !r.nodes().includes(l.name))), 'the partition');
}

async function heal(all: readonly DistNode[]): Promise<void> {
  expect(await all[0]!.connect(all[all.length - 1]!.name)).toBe(true);
  await synced(all);
}

describe('registrations racing for one name', () => {
  it('lets exactly one of two nodes win each round, and both agree on the winner', async () => {
    const [a, b] = await cluster(2);
    for (let round = 0; round < 60; round++) {
      const name = ['race', round];
      const pa = idle(a.node);
      const pb = idle(b.node);
      const [wa, wb] = await Promise.all([globalOf(a).registerName(name, pa), globalOf(b).registerName(name, pb)]);
      expect([wa, wb].filter(Boolean)).toHaveLength(1);
      const winner = wa ? pa : pb;
      expect(globalOf(a).whereisName(name)?.key).toBe(winner.key);
      expect(globalOf(b).whereisName(name)?.key).toBe(winner.key);
    }
    expect(globalOf(a).registeredNames()).toHaveLength(60);
  });

  it('lets exactly one of three nodes win when all race, many times over', async () => {
    const nodes = await cluster(3);
    for (let round = 0; round < 30; round++) {
      const pids = nodes.map((d) => idle(d.node));
      const wins = await Promise.all(nodes.map((d, i) => globalOf(d).registerName(`r${round}`, pids[i]!)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    }
    const t = tables(nodes);
    expect(t[1]).toEqual(t[0]);
    expect(t[2]).toEqual(t[0]);
  });

  it('keeps one winner when many registrations race from the same node', async () => {
    const [a, b] = await cluster(2);
    const pids = [...Array(10)].map((_x, i) => idle((i % 2 === 0 ? a : b).node));
    const wins = await Promise.all(pids.map((p, i) => globalOf(i % 2 === 0 ? a : b).registerName('busy', p)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(globalOf(b).whereisName('busy')?.key).toBe(pids[wins.indexOf(true)]!.key);
  });
});

describe('nodes that meet all at once', () => {
  it('merge every table into one: each name once, a name held on several nodes kept by one holder everywhere', async () => {
    // Separate nodes, each with names of its own and its own holder of 'shared'.
    const nodes = await Promise.all([0, 1, 2, 3, 4].map((i) => memNode(`m${i}_`)));
    const own = nodes.map((d, i) => [i, idle(d.node)] as const);
    for (const [i, pid] of own) expect(await globalOf(nodes[i]!).registerName(`own${i}`, pid)).toBe(true);
    const holders = nodes.map((d) => idle(d.node));
    for (const [i, d] of nodes.entries()) expect(await globalOf(d).registerName('shared', holders[i]!)).toBe(true);
    // Every pair connects at the same moment: a node syncs with several new peers at once.
    const links: Array<Promise<boolean>> = [];
    for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) links.push(nodes[i]!.connect(nodes[j]!.name));
    expect(await Promise.all(links)).toEqual(links.map(() => true));
    await synced(nodes);
    const t = tables(nodes);
    for (const table of t) expect(table).toEqual(t[0]);
    const names = globalOf(nodes[0]!).registeredNames().map(String).sort();
    expect(names).toEqual(['own0', 'own1', 'own2', 'own3', 'own4', 'shared']);
    const kept = globalOf(nodes[0]!).whereisName('shared')!;
    expect(holders.some((p) => p.equals(kept))).toBe(true);
    expect(nodes.find((d) => d.name === kept.node)!.node.isAlive(kept)).toBe(true);
  });
});

describe('partitions that heal', () => {
  it('keeps one of two names registered on both sides, runs the resolve function, and every node agrees', async () => {
    const [a, b] = await cluster(2);
    await partition([a], [b]);
    const calls: Array<[string, string]> = [];
    const resolve: ResolveFn = (name, p1, p2) => {
      calls.push([String(name), `${p1.node} vs ${p2.node}`]);
      return p1.node === b.name ? p1 : p2; // b's process wins
    };
    const pa = idle(a.node);
    const pb = idle(b.node);
    expect(await globalOf(a).registerName('leader', pa, resolve)).toBe(true);
    expect(await globalOf(b).registerName('leader', pb, resolve)).toBe(true);
    await heal([a, b]);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe('leader');
    expect(globalOf(a).whereisName('leader')?.key).toBe(pb.key);
    expect(globalOf(b).whereisName('leader')?.key).toBe(pb.key);
    // The custom resolver decided alone: nobody was exited.
    expect(a.node.isAlive(pa)).toBe(true);
  });

  it('by default keeps one and exits the other with globalNameConflict', async () => {
    const [a, b] = await cluster(2);
    await partition([a], [b]);
    const pa = idle(a.node);
    const pb = idle(b.node);
    await globalOf(a).registerName('single', pa);
    await globalOf(b).registerName('single', pb);
    // The winner's watcher never hears of an exit: it ends with its node (hence the catch).
    const exits = [exitReason(a.node, pa).catch(() => 'halted'), exitReason(b.node, pb).catch(() => 'halted')];
    await heal([a, b]);
    const winner = globalOf(a).whereisName('single')!;
    expect(globalOf(b).whereisName('single')?.key).toBe(winner.key);
    const loser = winner.equals(pa) ? pb : pa;
    const reason = await exits[winner.equals(pa) ? 1 : 0];
    expect(reason).toEqual({ globalNameConflict: 'single' });
    expect((winner.equals(pa) ? a : b).node.isAlive(winner)).toBe(true);
    expect(loser.equals(winner)).toBe(false);
  });

  it('heals two partitions of two nodes each: one table everywhere, one resolve per clash', async () => {
    const nodes = await cluster(4);
    const [a, b, c, d] = nodes as [DistNode, DistNode, DistNode, DistNode];
    await partition([a, b], [c, d]);
    let resolved = 0;
    const resolve: ResolveFn = (_n, p1, p2) => {
      resolved++;
      return p1.key < p2.key ? p1 : p2;
    };
    for (let i = 0; i < 5; i++) {
      expect(await globalOf(a).registerName(`clash${i}`, idle(b.node), resolve)).toBe(true);
      expect(await globalOf(d).registerName(`clash${i}`, idle(c.node), resolve)).toBe(true);
    }
    await globalOf(b).registerName('only_left', idle(a.node));
    await globalOf(c).registerName('only_right', idle(d.node));
    await heal(nodes);
    const t = tables(nodes);
    expect(t[0]).toHaveLength(7);
    for (const other of t.slice(1)) expect(other).toEqual(t[0]);
    expect(resolved).toBe(5);
  });

  it('sends both holders a conflict message and drops the name with notifyAllName', async () => {
    const [a, b] = await cluster(2);
    await partition([a], [b]);
    const got = (d: DistNode): Promise<unknown> =>
      d.node.run(async (ctx) => {
        await globalOf(d).registerName('both', ctx.self, notifyAllName);
        ctx.send(ctx.self, 'ok');
        await ctx.receive((m) => m === 'ok');
        return ctx.receive((m) => (m as { type?: unknown }).type === 'global_name_conflict');
      });
    const [ga, gb] = [got(a), got(b)];
    await waitFor(() => globalOf(a).whereisName('both') !== undefined && globalOf(b).whereisName('both') !== undefined, 'both registrations');
    await heal([a, b]);
    const [ma, mb] = (await Promise.all([ga, gb])) as Array<{ name: unknown; other: Pid }>;
    expect(ma!.name).toBe('both');
    expect(ma!.other.node).toBe(b.name);
    expect(mb!.other.node).toBe(a.name);
    expect(globalOf(a).whereisName('both')).toBeUndefined();
    expect(globalOf(b).whereisName('both')).toBeUndefined();
  });

  it('keeps one and tells the other with randomNotifyName', async () => {
    const [a, b] = await cluster(2);
    await partition([a], [b]);
    const pa = idle(a.node);
    const pb = idle(b.node);
    await globalOf(a).registerName('notify', pa, randomNotifyName);
    await globalOf(b).registerName('notify', pb, randomNotifyName);
    await heal([a, b]);
    const winner = globalOf(b).whereisName('notify')!;
    expect([pa.key, pb.key]).toContain(winner.key);
    expect(globalOf(a).whereisName('notify')?.key).toBe(winner.key);
    expect(a.node.isAlive(pa) && b.node.isAlive(pb)).toBe(true);
  });

  it('unregisters the name when the resolve function throws or answers nonsense', async () => {
    const [a, b] = await cluster(2);
    await partition([a], [b]);
    const throws: ResolveFn = () => {
      throw new Error('cannot decide');
    };
    const nonsense = (() => 'both') as unknown as ResolveFn;
    await globalOf(a).registerName('t', idle(a.node), throws);
    await globalOf(b).registerName('t', idle(b.node), throws);
    await globalOf(a).registerName('n', idle(a.node), nonsense);
    await globalOf(b).registerName('n', idle(b.node), nonsense);
    await heal([a, b]);
    expect(globalOf(a).registeredNames()).toEqual([]);
    expect(globalOf(b).registeredNames()).toEqual([]);
  });
});

describe('global locks', () => {
  it('lets one holder at a time run inside trans, across nodes', async () => {
    const [a, b] = await cluster(2);
    let inside = 0;
    let most = 0;
    const work = (d: DistNode, i: number): Promise<unknown> =>
      d.node.run(async (ctx) =>
        globalOf(ctx).trans(['shared', `${d.name}-${i}`], async () => {
          inside++;
          most = Math.max(most, inside);
          await ctx.receive(() => false, 2);
          inside--;
          return i;
        }),
      );
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => work(i % 2 === 0 ? a : b, i)));
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(1);
  });

  it('refuses a lock another requester holds when no retries are left, and frees it when the holder exits', async () => {
    const [a, b] = await cluster(2);
    const holder = a.node.spawn(async (ctx) => {
      await globalOf(ctx).setLock(['res', 'first']);
      ctx.send(ctx.self, 'locked');
      await ctx.receive((m) => m === 'locked');
      await ctx.receive((m) => m === 'stop');
    });
    await waitFor(async () => !(await b.node.run((ctx) => globalOf(ctx).setLock(['res', 'probe'], undefined, 0))), 'the holder to lock');
    expect(await b.node.run((ctx) => globalOf(ctx).trans(['res', 'second'], () => 'ran', undefined, 0))).toBe('aborted');
    a.node.send(holder, 'stop');
    expect(await b.node.run((ctx) => globalOf(ctx).trans(['res', 'second'], () => 'ran'))).toBe('ran');
  });

  it('lets the same requester set a lock twice', async () => {
    const [a] = await cluster(2);
    const r = await a.node.run(async (ctx) => {
      const g = globalOf(ctx);
      const first = await g.setLock(['nest', 'me']);
      const second = await g.setLock(['nest', 'me'], undefined, 0);
      g.delLock(['nest', 'me']);
      g.delLock(['nest', 'me']);
      return [first, second];
    });
    expect(r).toEqual([true, true]);
  });
});

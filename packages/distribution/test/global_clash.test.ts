/**
 * global's name clashes when many nodes that each registered the same name meet at
 * once (a full mesh forming, or two groups merging): every node ends up with the same
 * holder, and each other holder meets the resolve method exactly once (OTP 25 global
 * resolves every clash a sync finds, the losers included).
 */
import type { Pid } from '@grove/core';
import { globalOf, notifyAllName, randomExitName, type DistNode, type ResolveFn } from '@grove/distribution';
import { exitReason, idle, memNode, stopAll, synced, tables, waitFor } from './global_helpers';

afterEach(stopAll);

/** `n` separate nodes, each holding `'x'` for a process of its own (with `resolve`). */
async function holders(n: number, resolve?: ResolveFn): Promise<{ nodes: DistNode[]; pids: Pid[] }> {
  const nodes = await Promise.all([...Array(n)].map((_x, i) => memNode(`c${i}_`)));
  const pids = nodes.map((d) => idle(d.node));
  for (const [i, d] of nodes.entries()) expect(await globalOf(d).registerName('x', pids[i]!, resolve)).toBe(true);
  return { nodes, pids };
}

/** Connects every pair of `left` × `right` (or of `left` with itself) at the same moment. */
async function connectAll(left: readonly DistNode[], right?: readonly DistNode[]): Promise<void> {
  const links: Array<Promise<boolean>> = [];
  for (const [i, a] of left.entries()) for (const b of right ?? left.slice(i + 1)) links.push(a.connect(b.name));
  expect(await Promise.all(links)).toEqual(links.map(() => true));
}

/** Waits until the nodes agree on one table, and returns the holder of `'x'` (undefined: none). */
async function agreed(nodes: readonly DistNode[]): Promise<Pid | undefined> {
  await synced(nodes);
  await waitFor(() => tables(nodes).every((t) => t.join() === tables(nodes)[0]!.join()), 'one table');
  return globalOf(nodes[0]!).whereisName('x');
}

/** A resolver that records each call's losers (the pids it did not keep) and then runs `fn`. */
function recording(fn: ResolveFn): { resolve: ResolveFn; losers: string[] } {
  const losers: string[] = [];
  const resolve: ResolveFn = async (name, pid1, pid2, node) => {
    const winner = await fn(name, pid1, pid2, node);
    for (const p of [pid1, pid2]) if (winner === 'none' || !winner.equals(p)) losers.push(p.key);
    return winner;
  };
  return { resolve, losers };
}

describe.each([3, 5])('%i nodes that each hold the same name', (n) => {
  const merges: Array<[string, (nodes: DistNode[]) => Promise<void>]> = [
    ['all connect at once', (nodes) => connectAll(nodes)],
    [
      'two groups form, then merge',
      async (nodes) => {
        const half = Math.ceil(nodes.length / 2);
        await Promise.all([connectAll(nodes.slice(0, half)), connectAll(nodes.slice(half))]);
        await connectAll(nodes.slice(0, half), nodes.slice(half));
      },
    ],
  ];

  it.each(merges)('%s: one holder everywhere, every other holder exited by the default resolver', async (_how, merge) => {
    const { nodes, pids } = await holders(n);
    // The winner's watcher ends only when its node stops.
    const reasons = pids.map((p, i) => exitReason(nodes[i]!.node, p).catch(() => 'node stopped'));
    await merge(nodes);
    const kept = await agreed(nodes);
    expect(kept).toBeDefined();
    const winner = pids.findIndex((p) => p.equals(kept!));
    expect(winner).toBeGreaterThanOrEqual(0);
    expect(nodes[winner]!.node.isAlive(kept!)).toBe(true);
    const lost = await Promise.all(reasons.filter((_r, i) => i !== winner));
    expect(lost).toEqual(lost.map(() => ({ globalNameConflict: 'x' })));
  });

  it.each(merges)('%s: the default method meets each loser exactly once', async (_how, merge) => {
    const { resolve, losers } = recording(randomExitName);
    const { nodes, pids } = await holders(n, resolve);
    await merge(nodes);
    const kept = await agreed(nodes);
    const expected = pids.filter((p) => !p.equals(kept!)).map((p) => p.key);
    await waitFor(() => losers.length >= expected.length, 'every loser resolved');
    expect(losers.sort()).toEqual(expected.sort());
  });

  it.each(merges)('%s: with notifyAllName the losers are notified once each, none is killed', async (_how, merge) => {
    const { resolve, losers } = recording(notifyAllName);
    const { nodes, pids } = await holders(n, resolve);
    await merge(nodes);
    const kept = await agreed(nodes);
    const expected = pids.filter((p) => kept === undefined || !p.equals(kept)).map((p) => p.key);
    await waitFor(() => losers.length >= expected.length, 'every loser notified');
    expect(losers.sort()).toEqual(expected.sort());
    for (const [i, p] of pids.entries()) expect(nodes[i]!.node.isAlive(p)).toBe(true);
  });
});

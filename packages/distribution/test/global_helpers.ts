/**
 * Helpers for the global and rpc tests: fully connected clusters of in-memory nodes
 * whose global tables are synced, idle processes to name, and a wait for a process's
 * exit reason.
 */
import type { Node, Pid } from '@grove/core';
import { globalOf, type DistNode, type DistOptions } from '@grove/distribution';
import { memNode, waitFor } from './router_helpers';

export { forgedCall, memNode, stopAll, waitFor } from './router_helpers';

/** `n` memory nodes, all connected, their global tables synced. */
export async function cluster(n: number, options: Partial<DistOptions> = {}): Promise<DistNode[]> {
  const nodes: DistNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await memNode(`g${i}_`, options));
  for (let i = 1; i < n; i++) expect(await nodes[0]!.connect(nodes[i]!.name)).toBe(true);
  await synced(nodes);
  return nodes;
}

/** Waits until every node sees every other, then for each node's global sync. */
export async function synced(nodes: readonly DistNode[]): Promise<void> {
  await waitFor(() => nodes.every((d) => d.nodes().length === nodes.length - 1), 'a full mesh');
  await Promise.all(nodes.map((d) => globalOf(d).sync()));
}

/** A process that waits until it gets 'stop' (or is killed). */
export function idle(node: Node): Pid {
  return node.spawn(async (ctx) => {
    await ctx.receive((m) => m === 'stop');
  });
}

/** Resolves with `pid`'s exit reason (it must be alive, or `noproc` comes back). */
export function exitReason(node: Node, pid: Pid): Promise<unknown> {
  return node.run(async (ctx) => {
    ctx.monitor(pid);
    const down = (await ctx.receive((m) => (m as { type?: unknown }).type === 'DOWN')) as { reason: unknown };
    return down.reason;
  });
}

/** The name table of every node, as `name=pidkey` lines (equal when the nodes agree). */
export function tables(nodes: readonly DistNode[]): string[][] {
  return nodes.map((d) => {
    const g = globalOf(d);
    return g
      .registeredNames()
      .map((n) => `${JSON.stringify(n)}=${g.whereisName(n)?.key ?? '?'}`)
      .sort();
  });
}

/**
 * The nodes the matchers may look a pid up on: every node a harness part made
 * (Cluster, VirtualClock, Probe) is tracked; a node made otherwise is added with
 * {@link trackNode}. Weakly held: a halted node that nothing references goes.
 */
import type { Node, Pid } from '@grove/core';

const tracked = new Set<WeakRef<Node>>();

/** Lets the matchers find pids of `node` (a node the harness did not make). */
export function trackNode(node: Node): void {
  for (const r of tracked) if (r.deref() === node) return;
  tracked.add(new WeakRef(node));
}

/** The tracked node that `pid` belongs to (same name and creation), if any. */
export function nodeOf(pid: Pid): Node | undefined {
  for (const r of tracked) {
    const n = r.deref();
    if (n === undefined) tracked.delete(r);
    else if (n.name === pid.node && n.creation === pid.creation) return n;
  }
  return undefined;
}

/** A tracked node that is running: `pid`'s own, else any (a monitor reaches `pid` from another node). */
export function observerFor(pid: Pid): Node | undefined {
  const own = nodeOf(pid);
  if (own !== undefined) return own;
  for (const r of tracked) {
    const n = r.deref();
    if (n !== undefined && n.processCount > 0) return n;
  }
  return undefined;
}

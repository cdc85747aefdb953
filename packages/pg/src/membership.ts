/**
 * What a scope needs to know about the cluster: which nodes are connected now, and a
 * message when one comes or goes (OTP's `nodes()` and `net_kernel:monitor_nodes`).
 * @grove/distribution's net kernel provides it; a node that never distributes has none, and
 * its scopes are local-only.
 *
 * A scope uses `nodeup` only: it sends `discover` to the same scope there. It ignores
 * `nodedown` and learns that a peer scope is gone from the DOWN of its monitor on that
 * scope (reason `noconnection` when the node went away), exactly as OTP pg does.
 */
import type { Node, Pid } from '@grove/core';
import { distOf } from '@grove/distribution';

/** The membership service a scope subscribes to. */
export interface Membership {
  /** The other nodes this node is connected to now (visible ones; not itself). */
  nodes(): readonly string[];
  /**
   * Starts (`on`) or stops sending {@link NodeEvent} messages to `pid`. The service is
   * expected to forget a subscriber that exits.
   */
  monitorNodes(pid: Pid, on: boolean): void;
}

/** A node came up or went down (the messages {@link Membership.monitorNodes} delivers). */
export interface NodeEvent {
  readonly type: 'nodeup' | 'nodedown';
  readonly node: string;
  /** Why a node went down, when the service says. */
  readonly reason?: unknown;
}

/** True for a {@link NodeEvent}. */
export function isNodeEvent(msg: unknown): msg is NodeEvent {
  if (typeof msg !== 'object' || msg === null) return false;
  const m = msg as { type?: unknown; node?: unknown };
  return (m.type === 'nodeup' || m.type === 'nodedown') && typeof m.node === 'string';
}

const installed = new WeakMap<Node, Membership>();

/**
 * Sets the membership service scopes started on `node` use by default (the dist
 * layer, or a test double). Scopes already running keep the one they started with.
 */
export function setMembership(node: Node, membership: Membership | null): void {
  if (membership === null) installed.delete(node);
  else installed.set(node, membership);
}

/**
 * The membership service for scopes on `node`: the one set with
 * {@link setMembership}, else the node's {@link DistNode} (its net kernel's visible
 * nodes and nodeup/nodedown), else none: the scope is local-only. @internal
 */
export function membershipOf(node: Node): Membership | null {
  return installed.get(node) ?? distOf(node) ?? null;
}

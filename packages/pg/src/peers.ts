/**
 * The scope's view of the cluster: the same scope on other nodes (OTP pg's `remote`
 * map), and the membership service that says which nodes are connected.
 *
 * Peers: for each peer scope process, the monitor on it, and the groups and pids it
 * told us about, so that a new `sync` from it is applied as a difference and its
 * DOWN removes exactly its members. Discovery (protocol steps 1 and 2) starts here:
 * `discover` to every connected node on start and to each node that comes up later,
 * `sync` in answer to a `discover`.
 *
 * Membership: which nodes are connected now, and a message when one comes or goes
 * (OTP's `nodes()` and `net_kernel:monitor_nodes`): core's `Membership`, which the
 * router that @grove/distribution attaches to a node provides (pg needs no import of
 * distribution); a node that never distributes has none, and its scopes are
 * local-only.
 * A scope uses `nodeup` only: it sends `discover` to the same scope there. It ignores
 * `nodedown` and learns that a peer scope is gone from the DOWN of its monitor on that
 * scope (reason `noconnection` when the node went away), exactly as OTP pg does.
 *
 * Every handler here runs in the scope process; see scope.ts for the protocol.
 */
import { membershipOf as routerMembership, type Membership, type Node, type Pid, type ProcessContext, type Ref } from '@grove/core';
import { groupKey, PidBag, type GroupTable } from './group_table';
import { PROTOCOL_VERSION, type Discover, type Join, type Leave, type Sync, type Watchers } from './protocol';

interface PeerGroup {
  readonly group: unknown;
  readonly pids: PidBag;
}

interface Peer {
  readonly pid: Pid;
  readonly ref: Ref;
  groups: Map<string, PeerGroup>;
}

/** @internal */
export class Peers {
  private readonly byPid = new Map<string, Peer>();

  constructor(
    private readonly ctx: ProcessContext,
    private readonly table: GroupTable,
    private readonly watchers: Watchers,
    /** Where the scope learns which nodes are connected; null: local-only. */
    private readonly membership: Membership | null,
  ) {}

  /** Subscribes to nodeup/nodedown and asks the scope on every connected node to sync with us. */
  start(): void {
    if (this.membership === null) return;
    this.membership.monitorNodes(this.ctx.self, true);
    for (const node of this.membership.nodes()) this.discover(node);
  }

  /** A node came up: ask its scope to sync with us. */
  nodeUp(node: string): void {
    this.discover(node);
  }

  /** A `discover` from `peer`: answer with our local members, and start watching it when it is new. */
  onDiscover(peer: Pid): void {
    if (peer.equals(this.ctx.self) || !this.isUp(peer.node)) return;
    const sync: Sync = { type: 'pg_sync', peer: this.ctx.self, groups: this.localGroups() };
    this.ctx.send(peer, sync);
    if (this.has(peer)) return;
    this.add(peer);
    const msg: Discover = { type: 'pg_discover', peer: this.ctx.self, version: PROTOCOL_VERSION };
    this.ctx.send(peer, msg);
  }

  /** A sync replaces all we knew of the peer's members: apply the difference. */
  sync(msg: Sync): void {
    let p = this.byPid.get(msg.peer.key);
    if (p === undefined) {
      if (!this.isUp(msg.peer.node)) return;
      p = this.add(msg.peer);
    }
    const old = p.groups;
    const next = new Map<string, PeerGroup>();
    for (const [group, pids] of msg.groups) {
      const key = groupKey(group);
      const pg = next.get(key);
      if (pg === undefined) next.set(key, { group, pids: PidBag.of(pids) });
      else for (const pid of pids) pg.pids.add(pid);
    }
    for (const [key, now] of next) {
      const before = old.get(key);
      old.delete(key);
      if (before === undefined) {
        this.joined(key, now.group, now.pids.toArray());
      } else {
        this.left(key, now.pids.missingFrom(before.pids));
        this.joined(key, now.group, before.pids.missingFrom(now.pids));
      }
    }
    for (const [key, gone] of old) this.left(key, gone.pids.toArray());
    p.groups = next;
  }

  /** Some of the peer's processes joined a group (ignored from an unknown peer, as OTP does). */
  join(msg: Join): void {
    const p = this.byPid.get(msg.peer.key);
    if (p === undefined) return;
    const key = groupKey(msg.group);
    let pg = p.groups.get(key);
    if (pg === undefined) p.groups.set(key, (pg = { group: msg.group, pids: new PidBag() }));
    for (const pid of msg.pids) pg.pids.add(pid);
    this.joined(key, msg.group, msg.pids);
  }

  /** Some of the peer's processes left groups; only what the peer had joined is removed. */
  leave(msg: Leave): void {
    const p = this.byPid.get(msg.peer.key);
    if (p === undefined) return;
    for (const group of msg.groups) {
      const key = groupKey(group);
      const pg = p.groups.get(key);
      if (pg === undefined) continue;
      const taken: Pid[] = [];
      for (const pid of msg.pids) if (pg.pids.remove(pid) === 1) taken.push(pid);
      if (pg.pids.size === 0) p.groups.delete(key);
      this.left(key, taken);
    }
  }

  /**
   * The DOWN of a monitor: when it is a peer's, forget the peer and remove all its
   * members (node down, or the peer scope exited). False when `ref` is not a peer's.
   */
  down(pid: Pid, ref: Ref): boolean {
    const p = this.byPid.get(pid.key);
    if (p === undefined || !p.ref.equals(ref)) return false;
    this.byPid.delete(pid.key);
    for (const [key, pg] of p.groups) this.left(key, pg.pids.toArray());
    return true;
  }

  /** The known peer scopes. */
  pids(): Pid[] {
    return [...this.byPid.values()].map((p) => p.pid);
  }

  /**
   * Sends `msg` to every known peer scope on a connected node. OTP sends with
   * `noconnect`: a peer whose node just went down (its DOWN not yet handled) must not
   * make the distribution layer dial that node again.
   */
  broadcast(msg: unknown): void {
    if (this.byPid.size === 0) return;
    const up = this.connected();
    for (const p of this.byPid.values()) if (up === null || up.includes(p.pid.node)) this.ctx.send(p.pid, msg);
  }

  /**
   * True when `node` is connected (or there is no membership service to ask). A
   * `discover` or `sync` handled after its node went down is stale: answering or
   * monitoring would make the distribution layer dial the node again; the next
   * `nodeup` starts a fresh exchange instead.
   */
  private isUp(node: string): boolean {
    const up = this.connected();
    return up === null || up.includes(node);
  }

  /** True when `peer` is known (we monitor it). */
  private has(peer: Pid): boolean {
    return this.byPid.has(peer.key);
  }

  /** Starts watching `peer` (a discover or a sync from a scope we did not know). */
  private add(peer: Pid): Peer {
    const p: Peer = { pid: peer, ref: this.ctx.monitor(peer), groups: new Map() };
    this.byPid.set(peer.key, p);
    return p;
  }

  private joined(key: string, group: unknown, pids: readonly Pid[]): void {
    if (pids.length === 0) return;
    this.table.add(key, group, pids, false);
    this.watchers.notify(this.ctx, 'join', key, group, pids);
  }

  private left(key: string, pids: readonly Pid[]): void {
    if (pids.length === 0) return;
    const group = this.table.groups.get(key)?.group;
    const removed = this.table.remove(key, pids, false);
    this.watchers.notify(this.ctx, 'leave', key, group, removed);
  }

  /** Asks the scope on `node` to sync with us (a node where it does not run drops the message). */
  private discover(node: string): void {
    if (node === this.ctx.node.name) return;
    const msg: Discover = { type: 'pg_discover', peer: this.ctx.self, version: PROTOCOL_VERSION };
    this.ctx.send([this.table.scope, node], msg);
  }

  /** Every local membership, as a `sync` carries it. */
  private localGroups(): Array<readonly [unknown, readonly Pid[]]> {
    const out: Array<readonly [unknown, readonly Pid[]]> = [];
    for (const e of this.table.groups.values()) if (e.local.size > 0) out.push([e.group, e.local.toArray()]);
    return out;
  }

  /** The nodes connected now, or null when unknown (no membership service). */
  private connected(): readonly string[] | null {
    return this.membership === null ? null : this.membership.nodes();
  }
}

// ---- the membership service ----

/** The membership service a scope subscribes to. */
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
 * {@link setMembership}, else the one of the router attached to the node (core's
 * `membershipOf`: the net kernel's visible nodes and nodeup/nodedown), else none:
 * the scope is local-only. @internal
 */
export function membershipOf(node: Node): Membership | null {
  return installed.get(node) ?? routerMembership(node);
}

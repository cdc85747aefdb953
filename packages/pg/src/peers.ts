/**
 * The scope's view of its peers: the same scope on other nodes (OTP pg's `remote`
 * map). For each peer scope process: the monitor on it, and the groups and pids it
 * told us about, so that a new `sync` from it is applied as a difference and its
 * DOWN removes exactly its members.
 *
 * Every handler here runs in the scope process; see scope.ts for the protocol.
 */
import type { Pid, ProcessContext, Ref } from '@grove/core';
import { groupKey, PidBag, type GroupTable } from './group_table';
import type { Join, Leave, Sync } from './protocol';
import type { Watchers } from './watchers';

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
    /** The nodes connected now, or null when unknown (no membership service). */
    private readonly connected: () => readonly string[] | null,
  ) {}

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
  isUp(node: string): boolean {
    const up = this.connected();
    return up === null || up.includes(node);
  }

  /** True when `peer` is known (we monitor it). */
  has(peer: Pid): boolean {
    return this.byPid.has(peer.key);
  }

  /** Starts watching `peer` (a discover or a sync from a scope we did not know). */
  add(peer: Pid): Peer {
    const p: Peer = { pid: peer, ref: this.ctx.monitor(peer), groups: new Map() };
    this.byPid.set(peer.key, p);
    return p;
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
}

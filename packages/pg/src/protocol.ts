/**
 * What a scope says and hears: the messages scopes exchange, the requests the API
 * sends its scope, and the events its watchers receive, with the {@link Watchers}
 * table that says who gets which. All messages are copyable terms (plain objects and
 * arrays of pids), so they cross the wire unchanged. Peer messages are checked field
 * by field: anything else is a garbage message and crashes the scope (see scope.ts).
 */
import { isPid, type Pid, type ProcessContext, type Ref } from '@grove/core';

/** Protocol version carried by `discover` (OTP 26+ accepts `{discover, Peer, Version}`). */
export const PROTOCOL_VERSION = 1;

/** "I run this scope: send me your local members and start watching me." */
export interface Discover {
  readonly type: 'pg_discover';
  readonly peer: Pid;
  readonly version: number;
}

/** Every local membership of the sender, replacing what the receiver knew of it. */
export interface Sync {
  readonly type: 'pg_sync';
  readonly peer: Pid;
  readonly groups: ReadonlyArray<readonly [group: unknown, pids: readonly Pid[]]>;
}

/** Some of the sender's local processes joined `group`. */
export interface Join {
  readonly type: 'pg_join';
  readonly peer: Pid;
  readonly group: unknown;
  readonly pids: readonly Pid[];
}

/** `pids` left each group of `groups` once per occurrence (a group listed twice: twice). */
export interface Leave {
  readonly type: 'pg_leave';
  readonly peer: Pid;
  readonly pids: readonly Pid[];
  readonly groups: readonly unknown[];
}

/** A message from a peer scope. */
export type PeerMessage = Discover | Sync | Join | Leave;

/** A request of the API to its local scope: a call that the scope's `@Call` handler of that name takes. @internal */
export type Request =
  | readonly ['join', group: unknown, pids: readonly Pid[]]
  | readonly ['leave', group: unknown, pids: readonly Pid[]]
  | readonly ['monitor_scope']
  | readonly ['monitor', group: unknown]
  | readonly ['demonitor', ref: Ref];

function isPidList(v: unknown): v is readonly Pid[] {
  return Array.isArray(v) && v.every(isPid);
}

/** True when `msg` is a well-formed peer message. @internal */
export function isWellFormed(msg: PeerMessage): boolean {
  if (!isPid(msg.peer)) return false;
  switch (msg.type) {
    case 'pg_discover':
      return true;
    case 'pg_sync':
      return Array.isArray(msg.groups) && msg.groups.every((g) => Array.isArray(g) && g.length === 2 && isPidList(g[1]));
    case 'pg_join':
      return 'group' in msg && isPidList(msg.pids);
    case 'pg_leave':
      return isPidList(msg.pids) && Array.isArray(msg.groups);
  }
}

// ---- events to watchers, and who the watchers are ----

/*
 * Who watches the scope (`monitorScope`) or one group (`monitor`), and the events they
 * get. The scope monitors each watcher process and uses that monitor's ref as the
 * subscription's ref (as OTP does), so a watcher that exits is forgotten when its
 * DOWN arrives, and one map by ref id finds any subscription.
 */

/**
 * What a monitor of a scope or of a group receives when members join or leave
 * (OTP's `{Ref, join | leave, Group, Pids}`).
 */
export interface GroupEvent {
  readonly type: 'pg';
  /** The ref `monitorScope` / `monitor` returned. */
  readonly ref: Ref;
  readonly event: 'join' | 'leave';
  readonly group: unknown;
  /** The pids that joined or left, one per membership. */
  readonly pids: readonly Pid[];
}

/** True for a {@link GroupEvent}, optionally only those of the monitor `ref`. */
export function isGroupEvent(msg: unknown, ref?: Ref): msg is GroupEvent {
  if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== 'pg') return false;
  const m = msg as GroupEvent;
  return (m.event === 'join' || m.event === 'leave') && (ref === undefined || ref.equals(m.ref));
}

interface Watch {
  readonly pid: Pid;
  readonly ref: Ref;
  /** The group key watched, or null for the whole scope. */
  readonly key: string | null;
}

/** @internal */
export class Watchers {
  private readonly byRef = new Map<number, Watch>();
  private readonly scopeWide = new Map<number, Watch>();
  private readonly byGroup = new Map<string, Map<number, Watch>>();

  /** Subscribes `pid` (already monitored with `ref`) to the scope, or to one group key. */
  add(pid: Pid, ref: Ref, key: string | null): void {
    const w: Watch = { pid, ref, key };
    this.byRef.set(ref.id, w);
    if (key === null) {
      this.scopeWide.set(ref.id, w);
    } else {
      let m = this.byGroup.get(key);
      if (m === undefined) this.byGroup.set(key, (m = new Map()));
      m.set(ref.id, w);
    }
  }

  /** Removes the subscription with this monitor ref; false when there is none. */
  remove(ref: Ref): boolean {
    const w = this.byRef.get(ref.id);
    if (w === undefined || !w.ref.equals(ref)) return false;
    this.byRef.delete(ref.id);
    if (w.key === null) {
      this.scopeWide.delete(ref.id);
    } else {
      const m = this.byGroup.get(w.key)!;
      m.delete(ref.id);
      if (m.size === 0) this.byGroup.delete(w.key);
    }
    return true;
  }

  /** Tells the scope's watchers and the group's watchers that `pids` joined or left `group`. */
  notify(ctx: ProcessContext, event: 'join' | 'leave', key: string, group: unknown, pids: readonly Pid[]): void {
    if (pids.length === 0) return;
    if (this.scopeWide.size > 0) for (const w of this.scopeWide.values()) send(ctx, w, event, group, pids);
    const m = this.byGroup.get(key);
    if (m !== undefined) for (const w of m.values()) send(ctx, w, event, group, pids);
  }
}

function send(ctx: ProcessContext, w: Watch, event: 'join' | 'leave', group: unknown, pids: readonly Pid[]): void {
  const msg: GroupEvent = { type: 'pg', ref: w.ref, event, group, pids };
  ctx.send(w.pid, msg);
}

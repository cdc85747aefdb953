/**
 * The messages scopes exchange, the requests the API sends its scope, and the events
 * monitors receive. All are copyable terms (plain objects and arrays of pids), so
 * they cross the wire unchanged. Peer messages are checked field by field: anything
 * else is a garbage message and crashes the scope (see scope.ts).
 */
import { isPid, isRef, type Pid, type Ref } from '@grove/core';

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

/** A request of the API to its local scope (the body of a GenCall). @internal */
export type Request =
  | readonly ['join', group: unknown, pids: readonly Pid[]]
  | readonly ['leave', group: unknown, pids: readonly Pid[]]
  | readonly ['monitor_scope']
  | readonly ['monitor', group: unknown]
  | readonly ['demonitor', ref: Ref];

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

function isPidList(v: unknown): v is readonly Pid[] {
  return Array.isArray(v) && v.every(isPid);
}

/** The peer message `msg` is, or null when it is none (well-formed or not). @internal */
export function peerMessageType(msg: unknown): PeerMessage['type'] | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const t = (msg as { type?: unknown }).type;
  return t === 'pg_discover' || t === 'pg_sync' || t === 'pg_join' || t === 'pg_leave' ? t : null;
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

/** True for a well-formed request. @internal */
export function isRequest(req: unknown): req is Request {
  if (!Array.isArray(req)) return false;
  switch (req[0]) {
    case 'join':
    case 'leave':
      return req.length === 3 && isPidList(req[2]);
    case 'monitor_scope':
      return req.length === 1;
    case 'monitor':
      return req.length === 2;
    case 'demonitor':
      return req.length === 2 && isRef(req[1]);
    default:
      return false;
  }
}

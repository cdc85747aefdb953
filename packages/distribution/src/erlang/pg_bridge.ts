/**
 * OTP pg's scope protocol on a connection to a BEAM node, so that Grove's `@grove/pg`
 * scopes and OTP's `pg` scopes of the same name share their groups. Grove's scope
 * messages are tagged objects (`pg_discover`, `pg_sync`, `pg_join`, `pg_leave`, see
 * @grove/pg's protocol.ts); OTP 25's are, as measured on the wire:
 *
 * | Grove                                   | OTP 25                                         |
 * | --------------------------------------- | ---------------------------------------------- |
 * | `{ type: 'pg_discover', peer }`         | `{discover, Peer}` (OTP 26: also `{discover, Peer, Vsn}`) |
 * | `{ type: 'pg_sync', peer, groups }`     | `gen_server:cast(Peer, {sync, Self, [{Group, Pids}]})` |
 * | `{ type: 'pg_join', peer, group, pids }`| `{join, Peer, Group, PidOrPids}`               |
 * | `{ type: 'pg_leave', peer, pids, groups }` | `{leave, Peer, PidOrPids, Groups}`          |
 *
 * Only messages of exactly these shapes are translated, whose scope pid is the sending
 * node's own: outgoing, a pid of this node; incoming, a pid of the peer node.
 *
 * @internal
 */
import { Pid } from '@grove/core';
import { atom, isAtom, tuple, tupleOf } from './dist_terms';

interface PgObject {
  readonly type?: unknown;
  readonly peer?: unknown;
  readonly groups?: unknown;
  readonly group?: unknown;
  readonly pids?: unknown;
}

const PG_KEYS: Record<string, string> = {
  pg_discover: 'peer,type,version',
  pg_sync: 'groups,peer,type',
  pg_join: 'group,peer,pids,type',
  pg_leave: 'groups,peer,pids,type',
};

/** A Grove pg scope message from a scope of `localNode`, in OTP's shape; undefined for anything else. */
export function pgToErlang(msg: unknown, localNode: string): unknown {
  if (typeof msg !== 'object' || msg === null || Object.getPrototypeOf(msg) !== Object.prototype) return undefined;
  const m = msg as PgObject;
  if (typeof m.type !== 'string' || !(m.type in PG_KEYS) || !(m.peer instanceof Pid) || m.peer.node !== localNode) return undefined;
  if (Object.keys(m).sort().join(',') !== PG_KEYS[m.type]) return undefined;
  switch (m.type) {
    case 'pg_discover':
      return tuple(atom('discover'), m.peer);
    case 'pg_sync':
      if (!Array.isArray(m.groups)) return undefined;
      return tuple(atom('$gen_cast'), tuple(atom('sync'), m.peer, m.groups.map((g) => tuple((g as unknown[])[0], (g as unknown[])[1]))));
    case 'pg_join':
      return tuple(atom('join'), m.peer, m.group, m.pids);
    default:
      return tuple(atom('leave'), m.peer, m.pids, m.groups);
  }
}

/** An OTP pg scope message from a scope of `peerNode`, as Grove's scope takes it; undefined for anything else. */
export function pgFromErlang(msg: unknown, peerNode: string): unknown {
  const t = tupleOf(msg);
  if (t === undefined || t.length < 2) return undefined;
  if (isAtom(t[0], '$gen_cast') && t.length === 2) {
    const s = tupleOf(t[1], 3);
    if (s === undefined || !isAtom(s[0], 'sync') || !isPeer(s[1], peerNode) || !Array.isArray(s[2])) return undefined;
    const groups: unknown[] = [];
    for (const g of s[2] as unknown[]) {
      const pair = tupleOf(g, 2);
      if (pair === undefined || !Array.isArray(pair[1])) return undefined;
      groups.push([pair[0], pair[1]]);
    }
    return { type: 'pg_sync', peer: s[1], groups };
  }
  if (!isPeer(t[1], peerNode)) return undefined;
  if (isAtom(t[0], 'discover') && (t.length === 2 || t.length === 3)) return { type: 'pg_discover', peer: t[1], version: 0 };
  if (isAtom(t[0], 'join') && t.length === 4) return { type: 'pg_join', peer: t[1], group: t[2], pids: pidList(t[3]) };
  if (isAtom(t[0], 'leave') && t.length === 4 && Array.isArray(t[3])) return { type: 'pg_leave', peer: t[1], pids: pidList(t[2]), groups: t[3] };
  return undefined;
}

function isPeer(p: unknown, node: string): p is Pid {
  return p instanceof Pid && p.node === node;
}

/** OTP sends one pid bare, several as a list. */
function pidList(p: unknown): unknown {
  return p instanceof Pid ? [p] : p;
}

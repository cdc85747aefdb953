/**
 * Name sync when two nodes connect (OTP global's connection algorithm, simplified to
 * one coordinator per pair). The node with the smaller name coordinates:
 *
 * 1. asks the peer which nodes it knows (its partition);
 * 2. sets the global lock on both partitions (itself, the nodes it knows, the nodes
 *    the peer knows): no registration anywhere in either partition can interleave;
 * 3. fetches the peer's table and compares it with its own: a name only one side
 *    has is inserted on the other; a name both hold for different pids is a clash,
 *    decided by the resolve method of the coordinator's own entry (as OTP, where the
 *    node with the smaller name resolves) — a built-in runs here, a custom function on
 *    the node that registered it. The tables of the other locked nodes are merged too
 *    (after the peer's): a node whose own sync has not run yet may hold a name
 *    for a pid of its own, and step 4 overwrites its table, so that clash is resolved
 *    here (as OTP resolves every clash a node meets). Each holder that loses meets the
 *    resolver once, however many tables list it;
 * 4. applies the resulting operations on every locked node (both partitions), so
 *    every node holds the same table afterwards, then releases the lock and tells
 *    the peer the pair is synced.
 *
 * With a full mesh, each pair of a healed partition runs this; the first does the
 * work and the others find nothing to change. A step that fails while the peer is
 * still connected (a timeout) is retried after a random pause; a peer with no
 * global server counts as synced.
 *
 * A node runs its syncs one batch at a time (as OTP's global has one locker per node):
 * the peers that came up while a batch ran are synced together in the next one, with
 * one lock on the union of their partitions, the names of each fetched under it, and
 * one merged set of operations (clashes decided in the order the peers came up). A
 * mesh of N nodes formed at once thus takes a few lock rounds per node instead of one
 * per pair, which contend for the same lock.
 */
import { formatTerm, CallExitError, getLogger, isPid, type Pid, type ProcessContext } from '@grove/core';
import { callerOf } from '../node/dist_node';
import { delLockOn, setLockOn } from './lock';
import type { GlobalServer } from './name_server';
import { ask, GLOBAL_NAME_SERVER, GLOBAL_RESOURCE, isNameRecord, nameKey, type NameOp, type NameRecord } from './protocol';
import { runResolve } from './resolve';

const log = getLogger('dist');

/** A peer to sync with, for its connection `epoch`. */
export interface SyncTarget {
  readonly peer: string;
  readonly epoch: number;
}

/** Runs the sync of this node (the coordinator) with one batch of peers (see the top). */
export async function syncWith(server: GlobalServer, batch: readonly SyncTarget[]): Promise<void> {
  const node = server.node;
  const caller = callerOf(node, 'global');
  const requester = `sync ${node.name} ${node.makeRef().key}`;
  let locked: string[] | null = null;
  const live = (t: SyncTarget): boolean => server.current(t.peer, t.epoch);
  // A step that fails for one peer drops it from the batch (retried on its own later).
  const each = async <T>(targets: readonly SyncTarget[], step: (t: SyncTarget) => Promise<T>): Promise<Array<[SyncTarget, T]>> => {
    const out = await Promise.all(targets.map((t) => step(t).then((v): [SyncTarget, T] | null => [t, v], (e: unknown) => (failed(server, t, e), null))));
    return out.filter((x): x is [SyncTarget, T] => x !== null && live(x[0]));
  };
  try {
    const listed = await each(batch.filter(live), (t) => ask(caller, t.peer, { type: 'global.nodes' }));
    if (listed.length === 0) return;
    const lockNodes = lockSet(server, listed);
    if (!(await lockUntil(caller, lockNodes, requester, () => listed.some(([t]) => live(t))))) return;
    locked = lockNodes;
    const tables = await each(listed.map(([t]) => t).filter(live), (t) => ask(caller, t.peer, { type: 'global.names' }) as Promise<NameRecord[]>);
    if (tables.length === 0) return;
    // The other locked nodes' tables too: apply overwrites them, so a clash only one of them holds is resolved here, not lost.
    // Only those connected now (the lock dialled the reachable ones): asking the others would dial them a second time, past the mesh's caps.
    const peers = new Set([node.name, ...tables.map(([t]) => t.peer)]);
    const connected = new Set(server.kernel.groveNodes());
    const others = await Promise.all(lockNodes.filter((n) => !peers.has(n) && connected.has(n)).map((n) => (ask(caller, n, { type: 'global.names' }) as Promise<NameRecord[]>).catch(() => [])));
    const ops = await merge(server, [...tables.map(([, theirs]) => theirs), ...others]);
    if (ops.length > 0) await Promise.all(lockNodes.map((n) => ask(caller, n, { type: 'global.apply', ops }).catch(() => undefined)));
    for (const [{ peer, epoch }] of tables) {
      caller.send([GLOBAL_NAME_SERVER, peer], { type: 'global.synced', node: node.name });
      node.send(server.self, { type: 'global.synced', node: peer, epoch });
    }
  } catch (e) {
    for (const t of batch) failed(server, t, e);
  } finally {
    if (locked !== null) delLockOn(caller, locked, GLOBAL_RESOURCE, requester);
  }
}

/** A step of the sync with `t` failed with `e`: no global server there counts as synced; else it is tried again later (while connected). */
function failed(server: GlobalServer, t: SyncTarget, e: unknown): void {
  const node = server.node;
  if (e instanceof CallExitError && e.reason === 'noproc') {
    // The peer runs no global server: nothing to sync with it.
    node.send(server.self, { type: 'global.synced', node: t.peer, epoch: t.epoch });
    return;
  }
  if (!server.current(t.peer, t.epoch)) return;
  log.debug(`global: sync of ${node.name} with ${t.peer} failed (${e instanceof Error ? e.message : String(e)}); retrying`);
  node.sendAfter(server.self, { type: 'global.resync', node: t.peer, epoch: t.epoch }, 50 + Math.floor(Math.random() * 200));
}

/**
 * Both partitions: this node, the nodes it knows, and the nodes the peer knows. Locking
 * a node this one is not connected to dials it: only with the mesh on, and only those
 * the mesh's rules let through (net_kernel.ts `meshTargets`: well-formed names, capped,
 * rate-limited), so a peer's reply cannot make this node dial a list of its choice.
 * A node left out syncs with the peer's partition on its own.
 */
function lockSet(server: GlobalServer, peers: ReadonlyArray<readonly [SyncTarget, unknown]>): string[] {
  const all = new Set([server.node.name, ...server.kernel.groveNodes()]);
  for (const [{ peer }, peerNodes] of peers) {
    all.add(peer);
    const listed = Array.isArray(peerNodes) ? (peerNodes as unknown[]) : [];
    if (server.kernel.options.connectAll) for (const n of server.kernel.meshTargets(peer, listed)) all.add(n);
  }
  return [...all];
}

/** Sets the global lock, trying again while `live()` holds: false once it does not. */
async function lockUntil(caller: ProcessContext, nodes: readonly string[], requester: string, live: () => boolean): Promise<boolean> {
  while (live()) {
    if (await setLockOn(caller, nodes, GLOBAL_RESOURCE, requester, 8)) {
      if (live()) return true;
      delLockOn(caller, nodes, GLOBAL_RESOURCE, requester);
      return false;
    }
  }
  return false;
}

/**
 * The operations that make this node's table and the peers' tables (`tables`, in the
 * order the peers came up) one: inserts for names some table lacks, the resolver's
 * choice for clashes (between the entry kept so far and the next table's). None when
 * every table holds the same.
 */
async function merge(server: GlobalServer, tables: ReadonlyArray<readonly NameRecord[]>): Promise<NameOp[]> {
  /** Key → the name, the entry kept so far (null: deleted for a clash), and whether some table differs from it. */
  const kept = new Map<string, { name: unknown; rec: NameRecord | null; differs: boolean; lost?: Set<string> }>();
  for (const r of server.records()) kept.set(nameKey(r.name), { name: r.name, rec: r, differs: false });
  for (const theirs of tables) {
    const seen = new Set<string>();
    for (const rec of Array.isArray(theirs) ? theirs : []) {
      const key = recordKey(rec);
      if (key === null || seen.has(key)) continue; // a malformed (or repeated) record from the peer: not spread any further
      seen.add(key);
      const k = kept.get(key);
      if (k === undefined) kept.set(key, { name: rec.name, rec, differs: true });
      else if (k.lost?.has(rec.pid.key) === true) continue; // this holder lost already (several tables may list it): resolved once
      else if (k.rec === null) {
        // Dropped by a resolver here ('none'), held there: taken as registered (as OTP, where the name is absent on one side).
        k.rec = rec;
      } else if (!k.rec.pid.equals(rec.pid)) {
        const winner = await resolve(server, k.rec, rec);
        k.lost ??= new Set();
        for (const p of [k.rec.pid, rec.pid]) if (winner === 'none' || !winner.equals(p)) k.lost.add(p.key);
        k.rec = winner === 'none' ? null : winner.equals(rec.pid) ? rec : k.rec;
        k.differs = true;
      }
    }
    // A name this peer's table lacks.
    for (const [key, k] of kept) if (!seen.has(key)) k.differs = true;
  }
  const ops: NameOp[] = [];
  for (const [, k] of kept) {
    if (!k.differs) continue;
    ops.push(k.rec === null ? { op: 'delete', name: k.name } : { op: 'insert', rec: k.rec });
  }
  return ops;
}

/** Decides a clash with the method of this node's entry `m` (OTP: `resolve_it(Method2, Name, Pid, Pid2)`). */
async function resolve(server: GlobalServer, m: NameRecord, theirs: NameRecord): Promise<Pid | 'none'> {
  const here = server.methodHere(m);
  if (here !== undefined) return runResolve(here, m.name, theirs.pid, m.pid, server.node);
  try {
    const winner = await ask(callerOf(server.node, 'global'), m.method, { type: 'global.resolve', name: m.name, pid1: theirs.pid, pid2: m.pid });
    return isPid(winner) ? winner : 'none';
  } catch (e) {
    log.error(`global: cannot run the resolve function for ${formatTerm(m.name)} on ${m.method} (${e instanceof Error ? e.message : formatTerm(e)}); the name is unregistered`);
    return 'none';
  }
}

/** The record's name key, or null when it is not a well-formed record. */
function recordKey(rec: unknown): string | null {
  return isNameRecord(rec) ? nameKey(rec.name) : null;
}

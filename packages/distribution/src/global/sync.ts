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
 *    the node that registered it;
 * 4. applies the resulting operations on every locked node (both partitions), so
 *    every node holds the same table afterwards, then releases the lock and tells
 *    the peer the pair is synced.
 *
 * With a full mesh, each pair of a healed partition runs this; the first does the
 * work and the others find nothing to change. A step that fails while the peer is
 * still connected (a timeout) is retried after a random pause; a peer with no
 * global server counts as synced.
 */
import { formatTerm, CallExitError, getLogger, isPid, type Pid, type ProcessContext } from '@grove/core';
import { callerOf } from '../node/dist_node';
import { delLockOn, setLockOn } from './lock';
import type { GlobalServer } from './name_server';
import { ask, GLOBAL_NAME_SERVER, GLOBAL_RESOURCE, isNameRecord, nameKey, type NameOp, type NameRecord } from './protocol';
import { runResolve } from './resolve';

const log = getLogger('dist');

/** Runs the sync of this node (the coordinator) with `peer` for its connection `epoch`. */
export async function syncWith(server: GlobalServer, peer: string, epoch: number): Promise<void> {
  const node = server.node;
  const caller = callerOf(node, 'global');
  const requester = `sync ${node.name} ${peer} ${node.makeRef().key}`;
  let locked: string[] | null = null;
  try {
    const peerNodes = await ask(caller, peer, { type: 'global.nodes' });
    if (!server.current(peer, epoch)) return;
    const lockNodes = lockSet(server, peer, peerNodes);
    if (!(await lockUntil(caller, lockNodes, requester, () => server.current(peer, epoch)))) return;
    locked = lockNodes;
    const theirs = (await ask(caller, peer, { type: 'global.names' })) as NameRecord[];
    const ops = await merge(server, theirs);
    if (ops.length > 0) await Promise.all(lockNodes.map((n) => ask(caller, n, { type: 'global.apply', ops }).catch(() => undefined)));
    caller.send([GLOBAL_NAME_SERVER, peer], { type: 'global.synced', node: node.name });
    node.send(server.self, { type: 'global.synced', node: peer, epoch });
  } catch (e) {
    if (e instanceof CallExitError && e.reason === 'noproc') {
      // The peer runs no global server: nothing to sync with it.
      node.send(server.self, { type: 'global.synced', node: peer, epoch });
      return;
    }
    if (!server.current(peer, epoch)) return;
    log.debug(`global: sync of ${node.name} with ${peer} failed (${e instanceof Error ? e.message : String(e)}); retrying`);
    node.sendAfter(server.self, { type: 'global.resync', node: peer, epoch }, 50 + Math.floor(Math.random() * 200));
  } finally {
    if (locked !== null) delLockOn(caller, locked, GLOBAL_RESOURCE, requester);
  }
}

/**
 * Both partitions: this node, the nodes it knows, and the nodes the peer knows. Locking
 * a node this one is not connected to dials it: only with the mesh on, and only those
 * the mesh's rules let through (net_kernel.ts `meshTargets`: well-formed names, capped,
 * rate-limited), so a peer's reply cannot make this node dial a list of its choice.
 * A node left out syncs with the peer's partition on its own.
 */
function lockSet(server: GlobalServer, peer: string, peerNodes: unknown): string[] {
  const mine = server.kernel.groveNodes();
  const all = new Set([server.node.name, peer, ...mine]);
  const listed = Array.isArray(peerNodes) ? (peerNodes as unknown[]) : [];
  if (server.kernel.options.connectAll) for (const n of server.kernel.meshTargets(peer, listed)) all.add(n);
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

/** The operations that make both tables one: inserts for one-sided names, the resolver's choice for clashes. */
async function merge(server: GlobalServer, theirs: readonly NameRecord[]): Promise<NameOp[]> {
  const mine = new Map(server.records().map((r) => [nameKey(r.name), r] as const));
  const ops: NameOp[] = [];
  for (const rec of Array.isArray(theirs) ? theirs : []) {
    const key = recordKey(rec);
    if (key === null) continue; // a malformed record from the peer: not spread any further
    const m = mine.get(key);
    mine.delete(key);
    if (m === undefined) ops.push({ op: 'insert', rec });
    else if (!m.pid.equals(rec.pid)) {
      const winner = await resolve(server, m, rec);
      if (winner === 'none') ops.push({ op: 'delete', name: rec.name });
      else ops.push({ op: 'insert', rec: winner.equals(rec.pid) ? rec : m });
    }
  }
  for (const m of mine.values()) ops.push({ op: 'insert', rec: m });
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

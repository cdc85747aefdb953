/**
 * The global name server (OTP `global_name_server`): one process per distributed
 * node, registered as {@link GLOBAL_NAME_SERVER}, holding this node's replica of the
 * cluster's name table and the global locks set on this node.
 *
 * - Reads never reach the process: `whereisName` looks the table up directly.
 * - Every change comes as a request from a registrar (global.ts) or a sync
 *   (sync.ts) that holds the cluster-wide lock, and is applied by each node's
 *   server in turn; the process itself never waits on anything, so it can always
 *   answer lock requests.
 * - Each node monitors every registered pid, its own and remote ones, so a name
 *   leaves every table when its process exits, and a node's names leave when its
 *   connection goes (DOWN `noconnection`), without any message between servers.
 * - On nodeup (visible nodes only, as OTP) the node with the smaller name runs the
 *   sync of the pair; the other waits to be told it is done. `sync()` answers once
 *   every connected node is synced.
 */
import { BadArgError, GenCall, getLogger, isPid, reply, type From, type Node, type Pid, type ProcessContext, type Ref } from '@grove/core';
import { LockTable } from './lock';
import { GLOBAL_NAME_SERVER, nameKey, type DelLockMessage, type GlobalRequest, type NameRecord, type RegisterReply } from './protocol';
import { builtinNamed, runResolve, type ResolveFn } from './resolve';
import { syncWith } from './sync';
import { isNodeMessage, type NetKernel } from '../node/net_kernel';

interface NameEntry extends NameRecord {
  readonly key: string;
  /** This server's monitor of `pid`. */
  readonly ref: Ref;
}

interface PeerState {
  synced: boolean;
  /** Bumped on every nodeup, so a sync of an earlier connection cannot mark a later one synced. */
  readonly epoch: number;
}

const log = getLogger('dist');
const servers = new WeakMap<Node, GlobalServer>();

/** The global name server of `node`, if it is distributed. @internal */
export function globalServerOf(node: Node): GlobalServer | undefined {
  return servers.get(node);
}

/** Starts the global name server of a distributed node (done by startDistributed). @internal */
export function startGlobal(node: Node, kernel: NetKernel): GlobalServer {
  const s = new GlobalServer(node, kernel);
  servers.set(node, s);
  return s;
}

/** One node's global name server: its name table, its locks, its sync state. @internal */
export class GlobalServer {
  readonly pid: Pid;
  /** The name table: canonical key → entry. */
  private readonly names = new Map<string, NameEntry>();
  private readonly byRef = new Map<number | string, NameEntry>();
  private readonly locks = new LockTable();
  /** Holder pid key → this server's monitor of it. */
  private readonly lockMonitors = new Map<string, Ref>();
  private readonly lockRefs = new Map<number | string, Pid>();
  private readonly peers = new Map<string, PeerState>();
  private epochs = 0;
  private syncWaiters: From[] = [];
  /** Custom resolve functions of registrations made on this node: `key pidkey` → function. */
  readonly customResolvers = new Map<string, ResolveFn>();

  constructor(readonly node: Node, readonly kernel: NetKernel) {
    this.pid = node.spawnLoop((msg, ctx) => this.handle(msg, ctx), { name: GLOBAL_NAME_SERVER, label: GLOBAL_NAME_SERVER });
    kernel.monitorNodes(this.pid, true);
    // Nodes connected before the server started are synced as if they had just come up.
    for (const peer of kernel.nodes('visible')) node.send(this.pid, { type: 'nodeup', node: peer, nodeType: 'visible' });
  }

  // ---- reads (no message) ----

  /** The pid holding `name`; a local holder that already exited is not returned. */
  whereis(name: unknown): Pid | undefined {
    const e = this.names.get(nameKey(name));
    if (e === undefined) return undefined;
    const pid = e.pid;
    return pid.node === this.node.name && !this.node.isAlive(pid) ? undefined : pid;
  }

  /** Every name in the table. */
  registeredNames(): unknown[] {
    return [...this.names.values()].map((e) => e.name);
  }

  /** A snapshot of the table as records. */
  records(): NameRecord[] {
    return [...this.names.values()].map(recordOf);
  }

  /** True while `peer` is connected with the connection `epoch` refers to. */
  current(peer: string, epoch: number): boolean {
    return this.peers.get(peer)?.epoch === epoch;
  }

  /** The custom-resolver table key of `name` held by `pid`. */
  static resolverKey(key: string, pid: Pid): string {
    return `${key}\u0001${pid.key}`;
  }

  // ---- the process ----

  private handle(msg: unknown, ctx: ProcessContext): void {
    try {
      this.dispatch(msg, ctx);
    } catch (e) {
      // A malformed request (from a buggy or hostile peer) must not take the node's names down with it.
      log.warn(`${GLOBAL_NAME_SERVER} on ${this.node.name}: dropped a malformed message (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private dispatch(msg: unknown, ctx: ProcessContext): void {
    if (msg instanceof GenCall) return this.request(msg.from, msg.request as GlobalRequest, ctx);
    const m = msg as { type?: unknown } | null;
    if (typeof m !== 'object' || m === null) return;
    switch (m.type) {
      case 'DOWN':
        return this.down((msg as { ref: Ref }).ref);
      case 'global.del_lock': {
        const d = msg as DelLockMessage;
        this.locks.del(d.resource, d.requester, d.pid);
        return this.unwatchHolder(d.pid, ctx);
      }
      case 'global.synced':
        return this.markSynced((msg as { node: string }).node, (msg as { epoch?: number }).epoch);
      case 'global.resync': {
        const { node, epoch } = msg as { node: string; epoch: number };
        if (this.current(node, epoch)) void syncWith(this, node, epoch);
        return;
      }
    }
    if (isNodeMessage(msg)) {
      if (msg.type === 'nodeup') this.nodeUp(msg.node);
      else this.nodeDown(msg.node);
      return;
    }
    log.debug(`${GLOBAL_NAME_SERVER} on ${this.node.name}: unexpected message dropped`);
  }

  private request(from: From, req: GlobalRequest, ctx: ProcessContext): void {
    switch (req?.type) {
      case 'global.set_lock': {
        const ok = this.locks.set(req.resource, req.requester, from.pid);
        if (ok) this.watchHolder(from.pid, ctx);
        return reply(this.node, from, ok);
      }
      case 'global.register':
        return reply(this.node, from, this.register(req.rec, req.force, ctx));
      case 'global.unregister': {
        const e = this.names.get(nameKey(req.name));
        if (e !== undefined && (req.pid === null || e.pid.equals(req.pid))) this.remove(e, ctx);
        return reply(this.node, from, 'ok');
      }
      case 'global.names':
        return reply(this.node, from, this.records());
      case 'global.nodes':
        return reply(this.node, from, this.kernel.nodes('visible'));
      case 'global.apply':
        for (const op of req.ops) {
          if (op.op === 'insert') this.insert(op.rec, ctx);
          else {
            const e = this.names.get(nameKey(op.name));
            if (e !== undefined) this.remove(e, ctx);
          }
        }
        return reply(this.node, from, 'ok');
      case 'global.resolve':
        return this.resolveHere(from, req.name, req.pid1, req.pid2);
      case 'global.sync':
        if (this.allSynced()) return reply(this.node, from, 'ok');
        this.syncWaiters.push(from);
        return;
      default:
        log.debug(`${GLOBAL_NAME_SERVER} on ${this.node.name}: unknown request dropped`);
    }
  }

  // ---- the table ----

  /** Inserts unless another live process holds the name (or `force`). */
  private register(rec: NameRecord, force: boolean, ctx: ProcessContext): RegisterReply {
    const e = this.names.get(nameKey(rec.name));
    if (e !== undefined && !force && !e.pid.equals(rec.pid)) {
      // A local holder that exited is gone already, even if its DOWN is still queued here.
      const deadHere = e.pid.node === this.node.name && !this.node.isAlive(e.pid);
      if (!deadHere) return { taken: e.pid };
    }
    this.insert(rec, ctx);
    return 'ok';
  }

  private insert(rec: NameRecord, ctx: ProcessContext): void {
    const key = nameKey(rec.name);
    if (!isPid(rec.pid)) throw new BadArgError(`global: a name record without a pid: ${String(rec.pid)}`, rec.pid);
    const old = this.names.get(key);
    if (old !== undefined) {
      if (old.pid.equals(rec.pid)) {
        if (old.method !== rec.method) this.names.set(key, { ...old, method: rec.method });
        return;
      }
      this.remove(old, ctx);
    }
    const entry: NameEntry = { name: rec.name, pid: rec.pid, method: rec.method, key, ref: ctx.monitor(rec.pid) };
    this.names.set(key, entry);
    this.byRef.set(entry.ref.key, entry);
  }

  private remove(e: NameEntry, ctx: ProcessContext | null): void {
    if (this.names.get(e.key) === e) this.names.delete(e.key);
    this.byRef.delete(e.ref.key);
    ctx?.demonitor(e.ref, { flush: true });
    if (e.method === this.node.name) this.customResolvers.delete(GlobalServer.resolverKey(e.key, e.pid));
  }

  private down(ref: Ref): void {
    const e = this.byRef.get(ref.key);
    if (e !== undefined) return this.remove(e, null);
    const holder = this.lockRefs.get(ref.key);
    if (holder === undefined) return;
    this.lockRefs.delete(ref.key);
    this.lockMonitors.delete(holder.key);
    this.locks.dropPid(holder);
  }

  // ---- lock holders ----

  private watchHolder(pid: Pid, ctx: ProcessContext): void {
    if (this.lockMonitors.has(pid.key)) return;
    const ref = ctx.monitor(pid);
    this.lockMonitors.set(pid.key, ref);
    this.lockRefs.set(ref.key, pid);
  }

  private unwatchHolder(pid: Pid, ctx: ProcessContext): void {
    const ref = this.lockMonitors.get(pid.key);
    if (ref === undefined || this.locks.holds(pid)) return;
    this.lockMonitors.delete(pid.key);
    this.lockRefs.delete(ref.key);
    ctx.demonitor(ref, { flush: true });
  }

  // ---- resolving a clash for a sync (this node holds the method) ----

  private resolveHere(from: From, name: unknown, pid1: Pid, pid2: Pid): void {
    const fn = this.customResolvers.get(GlobalServer.resolverKey(nameKey(name), pid2));
    if (fn === undefined) {
      log.error(`global: no resolve function for ${String(name)} held by ${pid2} on ${this.node.name}; the name is unregistered`);
      return reply(this.node, from, 'none');
    }
    // Not awaited: the server keeps answering (the resolver may take its time).
    void runResolve(fn, name, pid1, pid2, this.node).then((winner) => reply(this.node, from, winner));
  }

  /** The function a record's method names, when this node can run it. */
  methodHere(rec: NameRecord): ResolveFn | undefined {
    return builtinNamed(rec.method) ?? (rec.method === this.node.name ? this.customResolvers.get(GlobalServer.resolverKey(nameKey(rec.name), rec.pid)) : undefined);
  }

  // ---- membership and sync ----

  private nodeUp(peer: string): void {
    const state: PeerState = { synced: false, epoch: ++this.epochs };
    this.peers.set(peer, state);
    if (this.node.name < peer) void syncWith(this, peer, state.epoch);
  }

  private nodeDown(peer: string): void {
    this.peers.delete(peer);
    this.checkWaiters();
  }

  private markSynced(peer: string, epoch: number | undefined): void {
    const st = this.peers.get(peer);
    if (st === undefined || (epoch !== undefined && st.epoch !== epoch)) return;
    st.synced = true;
    this.checkWaiters();
  }

  private allSynced(): boolean {
    for (const n of this.kernel.nodes('visible')) if (this.peers.get(n)?.synced !== true) return false;
    return true;
  }

  private checkWaiters(): void {
    if (this.syncWaiters.length === 0 || !this.allSynced()) return;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) reply(this.node, w, 'ok');
  }
}

function recordOf(e: NameRecord): NameRecord {
  return { name: e.name, pid: e.pid, method: e.method };
}

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
 *   sync of the pair; the other waits to be told it is done. A node's syncs run one
 *   batch at a time (the peers that came up meanwhile together, sync.ts). `sync()`
 *   answers once every connected node is synced.
 * - BEAM nodes sync, lock and register by OTP global's own protocol: what they send
 *   (Erlang tuples: casts, calls, messages) goes to the adapter in
 *   erlang/global_bridge.ts, which feeds the same tables.
 * - The server is a GenServer (OTP's global_name_server is a gen_server). Requests
 *   and messages are `{ type }` objects (protocol.ts), so they come to `handleCall`
 *   and `handleInfo`. Each is checked before it is acted on: a malformed request (a
 *   buggy or hostile peer) is refused with a BadRequestError at its caller, and
 *   changes nothing; an unknown one is an unknown call, as for any GenServer; a
 *   malformed message is logged and dropped. None of it takes the server down.
 * - It runs under the kernel supervisor: if it dies anyway it is restarted with an
 *   empty table and syncs with every node it is connected to (it coordinates those
 *   syncs itself, since its peers see no nodeup), getting the cluster's names back.
 */
import { formatTerm, BadArgError, GenServer, getLogger, isPid, isRef, type From, type Node, type Pid, type Ref } from '@grove/core';
import { canReply, refuse } from '../node/bad_request';
import { LockTable } from './lock';
import { PartitionGuard } from './partitions';
import { GLOBAL_NAME_SERVER, isGlobalRequest, malformedRequest, nameKey, type DelLockMessage, type GlobalRequest, type NameRecord, type RegisterReply } from './protocol';
import { builtinNamed, runResolve, type ResolveFn } from './resolve';
import { syncWith, type SyncTarget } from './sync';
import { isNodeMessage, type NetKernel } from '../node/net_kernel';
import { OtpGlobal } from '../erlang/global_bridge';
import { Tuple } from '../erlang/terms';

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

/** The global name server of `node` (the one running, or the last one to run), if it is distributed. @internal */
export function globalServerOf(node: Node): GlobalServer | undefined {
  return servers.get(node);
}

/** One node's global name server: its name table, its locks, its sync state. @internal */
export class GlobalServer extends GenServer {
  /** The node's membership. */
  kernel!: NetKernel;
  /** The name table: canonical key → entry. */
  private readonly names = new Map<string, NameEntry>();
  private readonly byRef = new Map<number | string, NameEntry>();
  /** Pid key → how many names it holds (OTP's `global_pid_names`). */
  private readonly namesPerPid = new Map<string, number>();
  /** Overlapping partitions (partitions.ts). */
  private guard!: PartitionGuard;
  private readonly locks = new LockTable();
  /** Holder pid key → this server's monitor of it. */
  private readonly lockMonitors = new Map<string, Ref>();
  private readonly lockRefs = new Map<number | string, Pid>();
  private readonly peers = new Map<string, PeerState>();
  private epochs = 0;
  private syncWaiters: From[] = [];
  /** Peers waiting for the next sync batch (sync.ts), and whether a batch is running. */
  private syncQueue: SyncTarget[] = [];
  private syncing = false;
  /** Custom resolve functions of registrations made on this node: `key pidkey` → function. */
  readonly customResolvers = new Map<string, ResolveFn>();
  /** OTP global's protocol with BEAM peers (erlang/global_bridge.ts). */
  otp!: OtpGlobal;

  override init(kernel: NetKernel): void {
    this.kernel = kernel;
    this.otp = this.otpGlobal();
    this.guard = new PartitionGuard(this.ctx, kernel, this.otp.partitionPeers());
    servers.set(this.node, this);
    kernel.monitorNodes(this.self, true);
    // Nodes connected before the server started (it was restarted: its table is empty)
    // did not see a nodeup, so they will not sync with it: it syncs with each itself.
    for (const peer of kernel.groveNodes()) this.ctx.send(this.self, { type: 'global.rejoin', node: peer });
  }

  /** The node this server runs on. */
  get node(): Node {
    return this.ctx.node;
  }

  // ---- reads (no message) ----

  /** The pid holding `name`; a local holder that already exited is not returned. */
  whereis(name: unknown): Pid | undefined {
    const e = this.names.get(nameKey(name));
    if (e === undefined) return undefined;
    const pid = e.pid;
    return pid.node === this.node.name && !this.node.isAlive(pid) ? undefined : pid;
  }

  /** True when `pid` holds some name (a local holder that already exited holds none). */
  holdsName(pid: Pid): boolean {
    if (!this.namesPerPid.has(pid.key)) return false;
    return pid.node !== this.node.name || this.node.isAlive(pid);
  }

  /** The names `pid` holds. */
  namesOf(pid: Pid): unknown[] {
    const out: unknown[] = [];
    for (const e of this.names.values()) if (e.pid.equals(pid)) out.push(e.name);
    return out;
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

  /**
   * A request (protocol.ts): the reply, or none (deferred). A malformed one is
   * refused (a BadRequestError at the caller) before anything changes; one with no
   * caller to answer (a forged GenCall) is dropped; a request of no known type is an
   * unknown call, as for any GenServer.
   */
  override handleCall(request: unknown, from: From): unknown {
    if (!canReply(from)) return refuse(GLOBAL_NAME_SERVER, this.node.name, from, `a call of ${formatTerm(request)}`);
    // OTP global's calls from a BEAM node (unanswered when malformed, as OTP).
    if (request instanceof Tuple) return this.otp.call(request, from.pid) ?? this.noReply();
    if (!isGlobalRequest(request)) return super.handleCall(request, from);
    const bad = malformedRequest(request);
    if (bad !== null) return refuse(GLOBAL_NAME_SERVER, this.node.name, from, bad);
    try {
      return this.request(request, from);
    } catch (e) {
      return refuse(GLOBAL_NAME_SERVER, this.node.name, from, e instanceof Error ? e.message : formatTerm(e));
    }
  }

  /** Casts come only from BEAM nodes' global (Grove's own servers call and send). */
  override handleCast(request: unknown): void {
    if (request instanceof Tuple) return this.otp.onCast(request);
    super.handleCast(request);
  }

  override handleInfo(msg: unknown): void {
    if (msg instanceof Tuple) return this.otp.info(msg);
    try {
      this.info(msg);
    } catch (e) {
      refuse(GLOBAL_NAME_SERVER, this.node.name, null, `${formatTerm(msg)} (${e instanceof Error ? e.message : formatTerm(e)})`);
    }
  }

  private request(req: GlobalRequest, from: From): unknown {
    switch (req.type) {
      case 'global.set_lock': {
        const ok = this.locks.set(req.resource, req.requester, from.pid);
        if (ok) this.watchHolder(from.pid);
        return ok;
      }
      case 'global.register':
        return this.register(req.rec, req.force);
      case 'global.unregister': {
        const e = this.names.get(nameKey(req.name));
        if (e !== undefined && (req.pid === null || e.pid.equals(req.pid))) this.remove(e, true);
        return 'ok';
      }
      case 'global.names':
        return this.records();
      case 'global.nodes':
        return this.kernel.groveNodes();
      case 'global.apply':
        for (const op of req.ops) {
          if (op.op === 'insert') this.insert(op.rec);
          else {
            const e = this.names.get(nameKey(op.name));
            if (e !== undefined) this.remove(e, true);
          }
        }
        return 'ok';
      case 'global.resolve':
        this.resolveHere(from, req.name, req.pid1, req.pid2);
        return this.noReply();
      case 'global.sync':
        if (this.allSynced()) return 'ok';
        this.syncWaiters.push(from);
        return this.noReply();
    }
  }

  /** Messages: monitors, lock releases, sync notices, node monitors. A malformed one throws (handleInfo logs it). */
  private info(msg: unknown): void {
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>;
    switch (m['type']) {
      case 'DOWN':
        if (!isRef(m['ref'])) throw new Error('a DOWN without a ref');
        return this.down(m['ref']);
      case 'global.del_lock': {
        const d = msg as DelLockMessage;
        if (typeof d.resource !== 'string' || typeof d.requester !== 'string' || !isPid(d.pid)) throw new Error('del_lock needs a string resource and requester and a pid');
        this.locks.del(d.resource, d.requester, d.pid);
        return this.unwatchHolder(d.pid);
      }
      case 'global.synced': {
        const epoch = m['epoch'];
        if (typeof m['node'] !== 'string' || (epoch !== undefined && typeof epoch !== 'number')) throw new Error('synced needs a node name');
        return this.markSynced(m['node'], epoch);
      }
      case 'global.resync': {
        const { node, epoch } = msg as { node: unknown; epoch: unknown };
        if (typeof node === 'string' && typeof epoch === 'number' && this.current(node, epoch)) this.syncLater(node, epoch);
        return;
      }
      case 'global.lost_connection':
        return this.guard.lostConnection(m);
      case 'global.remove_connection':
        return this.guard.removeConnection(m);
      case 'global.remove_grace':
        return this.guard.graceOver(m);
      case 'global.rejoin':
        // Sent to itself by a restarted server, for a node connected before it started.
        if (typeof m['node'] === 'string' && this.kernel.groveNodes().includes(m['node'])) this.nodeUp(m['node'], true);
        return;
    }
    if (!isNodeMessage(msg)) return void super.handleInfo(msg);
    if (msg.type === 'nodeup') this.nodeUp(msg.node, false);
    else this.nodeDown(msg.node);
  }

  // ---- the table ----

  /** Inserts unless another live process holds the name (or `force`). */
  private register(rec: NameRecord, force: boolean): RegisterReply {
    const e = this.names.get(nameKey(rec.name));
    if (e !== undefined && !force && !e.pid.equals(rec.pid)) {
      // A local holder that exited is gone already, even if its DOWN is still queued here.
      const deadHere = e.pid.node === this.node.name && !this.node.isAlive(e.pid);
      if (!deadHere) return { taken: e.pid };
    }
    this.insert(rec);
    return 'ok';
  }

  private insert(rec: NameRecord): void {
    const key = nameKey(rec.name);
    if (!isPid(rec.pid)) throw new BadArgError(`global: a name record without a pid: ${formatTerm(rec.pid)}`, rec.pid);
    const old = this.names.get(key);
    if (old !== undefined) {
      if (old.pid.equals(rec.pid)) {
        if (old.method !== rec.method) this.names.set(key, { ...old, method: rec.method });
        return;
      }
      this.remove(old, true);
    }
    const entry: NameEntry = { name: rec.name, pid: rec.pid, method: rec.method, key, ref: this.ctx.monitor(rec.pid) };
    this.names.set(key, entry);
    this.byRef.set(entry.ref.key, entry);
    this.namesPerPid.set(rec.pid.key, (this.namesPerPid.get(rec.pid.key) ?? 0) + 1);
  }

  /** Drops `e` from the table; `demonitor` unless its monitor already fired. */
  private remove(e: NameEntry, demonitor: boolean): void {
    if (this.names.get(e.key) === e) this.names.delete(e.key);
    if (this.byRef.delete(e.ref.key)) {
      const n = this.namesPerPid.get(e.pid.key)! - 1;
      if (n === 0) this.namesPerPid.delete(e.pid.key);
      else this.namesPerPid.set(e.pid.key, n);
    }
    if (demonitor) this.ctx.demonitor(e.ref, { flush: true });
    this.otp.forget(e);
    if (e.method === this.node.name) this.customResolvers.delete(GlobalServer.resolverKey(e.key, e.pid));
  }

  private down(ref: Ref): void {
    const e = this.byRef.get(ref.key);
    if (e !== undefined) return this.remove(e, false);
    const holder = this.lockRefs.get(ref.key);
    if (holder === undefined) return;
    this.lockRefs.delete(ref.key);
    this.lockMonitors.delete(holder.key);
    this.locks.dropPid(holder);
  }

  // ---- OTP global (BEAM peers) ----

  /** The adapter for OTP global's protocol, with what it needs of this server. */
  private otpGlobal(): OtpGlobal {
    const self = this;
    return new OtpGlobal({
      ctx: this.ctx,
      kernel: this.kernel,
      entry: (name) => {
        const e = self.names.get(nameKey(name));
        return e === undefined ? undefined : recordOf(e);
      },
      records: () => self.records(),
      insertRecord: (rec) => self.insert(rec),
      removeName: (name) => {
        const e = self.names.get(nameKey(name));
        if (e !== undefined) self.remove(e, true);
      },
      setLockFor: (resource, requester, pid, watch) => {
        const ok = self.locks.set(resource, requester, pid, false);
        if (ok && watch) self.watchHolder(pid);
        return ok;
      },
      delLockFor: (resource, requester, pid) => {
        self.locks.del(resource, requester, pid);
        self.unwatchHolder(pid);
      },
      methodHere: (rec) => self.methodHere(rec),
      onSynced: () => self.checkWaiters(),
      lostConnection: (m) => self.guard.lostConnection(m as unknown as Record<string, unknown>),
      removeConnection: (m) => self.guard.removeConnection(m as unknown as Record<string, unknown>),
    });
  }

  // ---- lock holders ----

  private watchHolder(pid: Pid): void {
    if (this.lockMonitors.has(pid.key)) return;
    const ref = this.ctx.monitor(pid);
    this.lockMonitors.set(pid.key, ref);
    this.lockRefs.set(ref.key, pid);
  }

  private unwatchHolder(pid: Pid): void {
    const ref = this.lockMonitors.get(pid.key);
    if (ref === undefined || this.locks.holds(pid)) return;
    this.lockMonitors.delete(pid.key);
    this.lockRefs.delete(ref.key);
    this.ctx.demonitor(ref, { flush: true });
  }

  // ---- resolving a clash for a sync (this node holds the method) ----

  private resolveHere(from: From, name: unknown, pid1: Pid, pid2: Pid): void {
    const fn = this.customResolvers.get(GlobalServer.resolverKey(nameKey(name), pid2));
    if (fn === undefined) {
      log.error(`global: no resolve function for ${formatTerm(name)} held by ${pid2} on ${this.node.name}; the name is unregistered`);
      return this.reply(from, 'none');
    }
    // Not awaited: the server keeps answering (the resolver may take its time).
    void runResolve(fn, name, pid1, pid2, this.node).then((winner) => this.reply(from, winner));
  }

  /** The function a record's method names, when this node can run it. */
  methodHere(rec: NameRecord): ResolveFn | undefined {
    return builtinNamed(rec.method) ?? (rec.method === this.node.name ? this.customResolvers.get(GlobalServer.resolverKey(nameKey(rec.name), rec.pid)) : undefined);
  }

  // ---- membership and sync ----

  /** A peer came up: the node with the smaller name syncs the pair (`rejoin`: this one does, whatever the names). */
  private nodeUp(peer: string, rejoin: boolean): void {
    // A BEAM node's global speaks OTP's protocol (erlang/global_bridge.ts); Grove's sync does not wait for it.
    if (this.kernel.isErlang(peer)) return this.otp.nodeUp(peer);
    const state: PeerState = { synced: false, epoch: ++this.epochs };
    this.peers.set(peer, state);
    if (rejoin || this.node.name < peer) this.syncLater(peer, state.epoch);
  }

  /** Queues the sync with `peer` (its connection `epoch`) for the next batch; starts one if none runs. */
  private syncLater(peer: string, epoch: number): void {
    this.syncQueue.push({ peer, epoch });
    if (!this.syncing) this.nextSyncBatch();
  }

  private nextSyncBatch(): void {
    const byPeer = new Map<string, SyncTarget>();
    for (const t of this.syncQueue) if (this.current(t.peer, t.epoch)) byPeer.set(t.peer, t);
    const batch = [...byPeer.values()];
    this.syncQueue = [];
    if (batch.length === 0) return;
    this.syncing = true;
    const next = (): void => {
      this.syncing = false;
      this.nextSyncBatch();
    };
    // It fails only when the node is no longer distributed (it stopped meanwhile).
    syncWith(this, batch).then(next, (e: unknown) => {
      log.debug(`global: sync of ${this.node.name} ended: ${e instanceof Error ? e.message : formatTerm(e)}`);
      next();
    });
  }

  private nodeDown(peer: string): void {
    this.otp.nodeDown(peer);
    this.peers.delete(peer);
    this.guard.nodeDown(peer);
    this.checkWaiters();
  }

  private markSynced(peer: string, epoch: number | undefined): void {
    const st = this.peers.get(peer);
    if (st === undefined || (epoch !== undefined && st.epoch !== epoch)) return;
    st.synced = true;
    this.checkWaiters();
  }

  private allSynced(): boolean {
    for (const n of this.kernel.groveNodes()) if (this.peers.get(n)?.synced !== true) return false;
    // BEAM nodes sync by OTP's protocol (erlang/global_bridge.ts).
    for (const n of this.kernel.nodes('visible')) if (this.kernel.isErlang(n) && !this.otp.isSynced(n)) return false;
    return true;
  }

  private checkWaiters(): void {
    if (this.syncWaiters.length === 0 || !this.allSynced()) return;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) this.reply(w, 'ok');
  }
}

function recordOf(e: NameRecord): NameRecord {
  return { name: e.name, pid: e.pid, method: e.method };
}

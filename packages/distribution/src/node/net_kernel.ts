/**
 * Membership (OTP `net_kernel`): connecting and disconnecting nodes, `nodes()`,
 * `ping`, node monitors (nodeup/nodedown), the heartbeat, and the transitive mesh.
 *
 * - Connecting: the router creates a pending connection on first use (or `connect`
 *   does); `setup` dials (port-mapper lookup, socket, handshake: the `Dialer`) and
 *   hands the channel to the connection, or closes it when dialing fails. An incoming
 *   handshake is asked about in `admit` and, once it succeeded, comes in through
 *   `accepted`. As in OTP's net kernel, a pending connection waits for exactly one
 *   attempt (`Connection.attempt`, OTP's pending owner): its own dial, or an incoming
 *   handshake admitted while there was no connection (so a send meanwhile queues on it
 *   instead of dialing a second connection). In a simultaneous connect the attempt of
 *   the node with the greater name wins on both sides: the loser's dial is refused
 *   (`nok`) and its pending connection, queue included, waits for the winner's
 *   attempt, which it adopts; a node that admits the winner aborts its own dial. So
 *   each side ends with one connection and one nodeup.
 * - Ticks: every `netTickTimeMs / 4` each live connection that sent nothing since the
 *   last tick sends a TICK; a connection that received nothing for four ticks in a
 *   row is closed with `net_tick_timeout` (so a silent peer is found within the net
 *   tick time). Any control message counts as traffic, as any packet does in OTP.
 * - Mesh: when a visible connection comes up, each side tells the other the visible
 *   nodes it is connected to (a `$peers` message to the peer's `net_kernel`), and the
 *   receiver connects to those it does not know (OTP does this in `global`). Off with
 *   `connectAll: false`; a hidden connection never takes part. A list is honoured
 *   only as it arrives on a visible connection (the connection hands it over: the
 *   same message from a local process, or sent to the kernel's pid, is ignored), only
 *   for well-formed names of this node's kind (short or long) that are not this node
 *   or already connected, at most {@link MESH_DIALS_PER_LIST} of them, and at most
 *   {@link MESH_DIALS_PER_PERIOD} dials every {@link MESH_PERIOD_MS}: a peer's list
 *   of 500 names cannot make this node dial 500 connections to a host of its choice.
 * - The process: {@link NetKernel} is a GenServer registered as `net_kernel` on every
 *   node (OTP's net_kernel is a gen_server too). It answers `ping` (`is_auth`) and the
 *   mesh's peer lists; the membership API and the router's hooks are methods of the
 *   same instance, called directly (a JS caller cannot block on a call, and the hooks
 *   run inside socket events), so the state has one owner. If the process stops or
 *   dies, the node's connections close with it (`net_kernel_terminated`); the kernel
 *   supervisor (kernel_sup.ts) starts a new one, which keeps the node monitors.
 */
import { BadArgError, formatTerm, callServer, GenServer, getLogger, type From, type Node, type Pid } from '@grove/core';
import { AttemptAbort, type Channel, type ConnectAttempt, type DialAttempt } from '../transport/transport';
import type { Connection } from './connection';
import type { DistRouter } from './dist_router';
import { HandshakeError } from '../errors';
import { simultaneousConnectStatus } from '../handshake/handshake';
import { isNodeName, nodeNameKind } from './node_name';
import { canReply, refuse } from './bad_request';

/** The name of the net kernel process on every node. */
export const NET_KERNEL = 'net_kernel';

/** Opens an authenticated channel to `peer` (lookup, connect, handshake); `hidden` makes this node hidden to it. */
export type Dialer = (peer: string, hidden: boolean, attempt: DialAttempt) => Promise<Channel>;

/** What `admit` decides about an incoming connection from a peer (see handshake/handshake.ts). */
export type Admission = 'ok' | 'ok_simultaneous' | 'nok' | 'alive' | { refuse: string };

/** `visible`, `hidden`, or both (`all`). */
export type NodeType = 'visible' | 'hidden';

/** A node monitor's message: the peer came up (Erlang `{nodeup, Node, [{node_type, T}]}`). */
export interface NodeUpMessage {
  readonly type: 'nodeup';
  readonly node: string;
  readonly nodeType: NodeType;
}

/** A node monitor's message: the peer went down, and why (`{nodedown, Node, [{nodedown_reason, R}]}`). */
export interface NodeDownMessage {
  readonly type: 'nodedown';
  readonly node: string;
  readonly nodeType: NodeType;
  /** `connection_closed`, `net_tick_timeout`, `disconnect`, `net_kernel_terminated`, ... */
  readonly reason: string;
}

/** Options of `DistNode.monitorNodes` and `monitorNodes`. */
export interface MonitorNodesOptions {
  /** Which nodes to hear about. Default `visible` (as OTP's `monitor_nodes(true)`). */
  nodeType?: NodeType | 'all';
}

export interface NetKernelOptions {
  hidden: boolean;
  netTickTimeMs: number;
  connectAll: boolean;
  /** global's `prevent_overlapping_partitions` (see global/partitions.ts); only with `connectAll`. */
  preventOverlappingPartitions: boolean;
  /** Connect on first use (Erlang's `dist_auto_connect`). Default true. */
  autoConnect: boolean;
  /** How long a connection may stay pending waiting for the peer's winning simultaneous attempt. */
  setupTimeoutMs: number;
  dial: Dialer;
}

/** A node monitor: who hears of which nodes, subscribed how many times (OTP counts `monitor_nodes(true)` calls). */
interface Subscription {
  readonly pid: Pid;
  readonly nodeType: NodeType | 'all';
  count: number;
}

/** The node monitors by subscriber pid key, one subscription per option set: they outlive a net kernel that is restarted. */
export type NodeMonitors = Map<string, Subscription[]>;

const NODE_TYPES: ReadonlyArray<MonitorNodesOptions['nodeType']> = ['visible', 'hidden', 'all'];

/** What {@link NetKernel.init} gets (the same on every restart). */
export interface NetKernelArgs {
  readonly router: DistRouter;
  readonly options: NetKernelOptions;
  readonly monitors: NodeMonitors;
  /** `allow`'s list, kept outside the process so that a restarted kernel keeps it. */
  readonly allowed: AllowList;
}

/** The nodes `allow` admits; `nodes` is null until its first call: every node with the right cookie may connect. */
export interface AllowList {
  nodes: Set<string> | null;
}

/** The mesh's peer list, sent to the peer's net kernel at nodeup. */
interface PeersMessage {
  readonly type: '$peers';
  readonly nodes: unknown;
}

/** Most nodes one peer list makes this node dial. */
export const MESH_DIALS_PER_LIST = 32;
/** Most dials the mesh starts in one {@link MESH_PERIOD_MS} window, all lists together. */
export const MESH_DIALS_PER_PERIOD = 64;
/** The mesh's rate window. */
export const MESH_PERIOD_MS = 10_000;

/** True for a mesh peer list that arrived as `msg` for the registered name `to` (the connection hands it to the net kernel). @internal */
export function isPeerList(to: string, msg: unknown): msg is PeersMessage {
  return to === NET_KERNEL && typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === PEERS;
}

const log = getLogger('dist');
const PEERS = '$peers';
const kernels = new WeakMap<Node, NetKernel>();

/** The net kernel of `node` (the one running, or the last one to run), if it is distributed. @internal */
export function kernelOf(node: Node): NetKernel | undefined {
  return kernels.get(node);
}

/** One node's net kernel: its connections' hooks, node monitors, ticks and the mesh. @internal */
export class NetKernel extends GenServer {
  router!: DistRouter;
  options!: NetKernelOptions;
  private subscribers!: NodeMonitors;
  private readonly waiters = new Map<Connection, Array<(up: boolean) => void>>();
  private explicit: string | null = null;
  /** Peers connected to (or to be connected to) as a hidden node (`hidden_connect_node`). */
  private readonly hiddenPeers = new Set<string>();
  /** `allow`'s list (see {@link AllowList}). */
  private allowed!: AllowList;
  private tickTimer: unknown = null;
  private stopped = false;
  private offExit: () => void = () => undefined;
  /** Mesh dials left in the current window, and when it began. */
  private meshDials = MESH_DIALS_PER_PERIOD;
  private meshWindowAt = 0;

  override init({ router, options, monitors, allowed }: NetKernelArgs): void {
    // Restarted after a kill (no terminate ran): the connections close with the kernel that held them, as they would have.
    kernels.get(this.node)?.stop();
    for (const [key, subs] of monitors) if (!this.node.isAlive(subs[0]!.pid)) monitors.delete(key);
    this.router = router;
    this.options = options;
    this.subscribers = monitors;
    this.allowed = allowed;
    kernels.set(this.node, this);
    router.hooks = this;
    this.offExit = this.node.onExit((pid) => this.subscribers.delete(pid.key));
    this.meshWindowAt = this.node.clock.now();
    this.armTick();
  }

  /** The node this kernel runs on. */
  get node(): Node {
    return this.ctx.node;
  }

  // ---- membership API ----

  /** Connects to `peer`: true once connected (or already), false when it cannot be reached. */
  connect(peer: string): Promise<boolean> {
    if (peer === this.node.name) return Promise.resolve(true);
    if (this.stopped || !isNodeName(peer)) return Promise.resolve(false);
    this.explicit = peer;
    let c: Connection | null;
    try {
      c = this.router.connection(peer, true);
    } finally {
      this.explicit = null;
    }
    if (c === null) return Promise.resolve(false);
    if (c.state === 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      let list = this.waiters.get(c);
      if (list === undefined) this.waiters.set(c, (list = []));
      list.push(resolve);
    });
  }

  /**
   * Connects to `peer` as if this node were hidden (OTP `net_kernel:hidden_connect_node`):
   * neither side lists the other in `nodes()`, and the connection takes no part in the
   * mesh. A connection already up stays as it is.
   */
  hiddenConnect(peer: string): Promise<boolean> {
    if (typeof peer === 'string' && peer !== this.node.name && !this.router.connections.has(peer)) this.hiddenPeers.add(peer);
    return this.connect(peer);
  }

  /**
   * Adds `nodes` to the nodes this node accepts connections from, and connects to
   * (OTP `net_kernel:allow/1`); before the first call every node may. Nodes cannot be
   * removed, and connections already up stay.
   */
  allow(nodes: readonly string[]): void {
    const list = (this.allowed.nodes ??= new Set());
    for (const n of nodes) list.add(n);
  }

  /** Whether `peer` may connect (the allow list). */
  isAllowed(peer: string): boolean {
    const list = this.allowed.nodes;
    return list === null || list.has(peer);
  }

  /** Closes the connection to `peer`; false when there was none. */
  disconnect(peer: string): boolean {
    const c = this.router.connections.get(peer);
    if (c === undefined) return false;
    c.close('disconnect');
    return true;
  }

  /** `pong` when `peer` is reachable and answers, else `pang` (OTP `net_adm:ping`). */
  async ping(peer: string, timeoutMs = 7000): Promise<'pong' | 'pang'> {
    if (peer === this.node.name) return 'pong';
    if (!(await this.connect(peer))) return 'pang';
    try {
      await callServer(this.node, [NET_KERNEL, peer], { type: 'is_auth', node: this.node.name }, timeoutMs);
      return 'pong';
    } catch {
      return 'pang';
    }
  }

  /** True when `peer` is connected and is a BEAM node (Erlang's protocol), not a Grove one. */
  isErlang(peer: string): boolean {
    return this.router.connections.get(peer)?.channel?.protocol === 'erlang';
  }

  /** The visible nodes that are Grove nodes (not BEAM ones): those Grove's `global` speaks with. */
  groveNodes(): string[] {
    return this.nodes('visible').filter((n) => !this.isErlang(n));
  }

  /** Connected nodes: `visible` (default, as `nodes()`), `hidden`, or `connected` (both). */
  nodes(kind: 'visible' | 'hidden' | 'connected' = 'visible'): string[] {
    return this.router.peers(kind);
  }

  /**
   * Subscribes `pid` to nodeup/nodedown messages (on), or ends its subscriptions with
   * these options (off), as OTP's `monitor_nodes/2`: each call with `on` adds a
   * subscription and each message comes once per subscription; `off` ends every
   * subscription made with the same options (the node type; none given is `visible`),
   * and leaves those made with others. Subscriptions end with their process.
   */
  monitorNodes(pid: Pid, on: boolean, options: MonitorNodesOptions = {}): void {
    if (typeof on !== 'boolean') throw new BadArgError(`monitorNodes: on must be true or false, got ${formatTerm(on)}`, on);
    const nodeType = options?.nodeType ?? 'visible';
    if (!NODE_TYPES.includes(nodeType)) throw new BadArgError(`monitorNodes: nodeType must be 'visible', 'hidden' or 'all', got ${formatTerm(nodeType)}`, nodeType);
    const subs = this.subscribers.get(pid.key);
    if (!on) {
      const rest = subs?.filter((s) => s.nodeType !== nodeType) ?? [];
      if (rest.length > 0) this.subscribers.set(pid.key, rest);
      else this.subscribers.delete(pid.key);
      return;
    }
    if (!this.node.isAlive(pid)) return;
    const same = subs?.find((s) => s.nodeType === nodeType);
    if (same !== undefined) same.count++;
    else if (subs !== undefined) subs.push({ pid, nodeType, count: 1 });
    else this.subscribers.set(pid.key, [{ pid, nodeType, count: 1 }]);
  }

  /** Closes every connection and stops ticking. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== null) this.node.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    for (const c of [...this.router.connections.values()]) c.close('net_kernel_terminated');
    this.router.hooks = null;
    this.offExit();
  }

  // ---- incoming connections ----

  /**
   * Decides on the incoming connection `attempt` from `peer` (the handshake asks before
   * it answers), as OTP's net kernel does (`accept_pending`):
   * - no connection: `ok`, and a pending connection now waits for this attempt, so that
   *   what this node sends the peer meanwhile queues on it rather than dialing a second
   *   connection;
   * - a pending one (this node is connecting too: a simultaneous connect): the greater
   *   name's attempt wins. `nok` when this node's is greater; else `ok_simultaneous`:
   *   this node drops its own attempt (aborts it) and the pending connection, with its
   *   queue, waits for the peer's;
   * - one up: `alive` (the peer says whether it restarted: then this attempt replaces
   *   the connection); refused while another such attempt is under way.
   */
  admit(peer: string, attempt: ConnectAttempt): Admission {
    if (this.stopped) return 'nok';
    // The handshake logs the refusal with this reason, and tells the peer.
    if (!this.isAllowed(peer)) return { refuse: `${peer} is not in the allow list (net_kernel:allow)` };
    const c = this.router.connections.get(peer);
    if (c === undefined) {
      this.router.open(peer).attempt = attempt;
      return 'ok';
    }
    if (c.state === 'up') {
      if (c.replacement !== null) return { refuse: `a connection from ${peer} is already being set up` };
      c.replacement = attempt;
      return 'alive';
    }
    if (simultaneousConnectStatus(this.node.name, peer) === 'nok') return 'nok';
    const lost = c.attempt;
    c.attempt = attempt;
    lost?.abort();
    return 'ok_simultaneous';
  }

  /** The incoming connection `attempt` finished its handshake: the connection waiting for it adopts the channel. */
  accepted(channel: Channel, attempt: ConnectAttempt): void {
    if (this.stopped) return void channel.close('net_kernel_terminated');
    const stale = this.router.connections.get(channel.peer);
    // The peer restarted: its old connection goes (nodedown), and a pending one takes this attempt over (see `down`).
    if (stale?.state === 'up' && stale.replacement === attempt) stale.close('connection_closed');
    const c = this.router.connections.get(channel.peer);
    if (c === undefined || c.state !== 'pending' || c.attempt !== attempt) return void channel.close('connection_closed');
    c.attempt = null;
    c.adopt(channel);
  }

  /** The incoming connection `attempt` from `peer` failed: a pending connection that waited for it fails too (OTP's `pending_nodedown`). */
  acceptFailed(peer: string, attempt: ConnectAttempt): void {
    const c = this.router.connections.get(peer);
    if (c === undefined) return;
    if (c.replacement === attempt) c.replacement = null;
    else if (c.state === 'pending' && c.attempt === attempt) c.close('connect_failed');
  }

  // ---- RouterHooks ----

  /** @internal a connection was created on demand: dial. */
  setup(conn: Connection): void {
    const peer = conn.peer;
    if (this.stopped || !isNodeName(peer) || (!this.options.autoConnect && this.explicit !== peer)) {
      conn.close(this.stopped ? 'net_kernel_terminated' : 'not_allowed');
      return;
    }
    if (!this.isAllowed(peer)) {
      log.warn(`${this.node.name}: not connecting to ${peer}: it is not in the allow list (net_kernel:allow)`);
      conn.close('not_allowed');
      return;
    }
    const abort = new AttemptAbort();
    const attempt: ConnectAttempt = { abort: () => abort.abort() };
    conn.attempt = attempt;
    const current = (): boolean => conn.state === 'pending' && conn.attempt === attempt;
    this.options.dial(peer, this.options.hidden || this.hiddenPeers.has(peer), { signal: abort, isPending: current }).then(
      (channel) => {
        // Dropped for the peer's attempt meanwhile (its abort came too late to stop this one).
        if (!current()) return void channel.close('connection_closed');
        conn.attempt = null;
        conn.adopt(channel);
      },
      (err: unknown) => {
        log.debug(`cannot connect to ${peer}: ${err instanceof Error ? err.message : String(err)}`);
        if (!current()) return; // dropped for the peer's attempt, which the connection now waits for
        if (err instanceof HandshakeError && err.reason === 'simultaneous') {
          // The peer is connecting to us and its attempt won the tie-break (`nok`): keep this
          // connection (and its queue) pending for that attempt, within the setup time (OTP's
          // loser waits to be replaced the same way).
          const waiting: ConnectAttempt = { abort: () => undefined };
          conn.attempt = waiting;
          this.node.clock.setTimeout(() => conn.state === 'pending' && conn.attempt === waiting && conn.close('connect_failed'), this.options.setupTimeoutMs, true);
          return;
        }
        conn.close('connect_failed');
      },
    );
  }

  /** @internal */
  up(conn: Connection): void {
    const channel = conn.channel!;
    conn.hidden = this.options.hidden || channel.peerHidden || this.hiddenPeers.has(conn.peer);
    this.settle(conn, true);
    // What the waiters send as soon as they resume (a ping's call) goes out then, not at
    // the end of the turn behind the work the nodeup starts here (global's sync, pg's
    // discover, run in the same turn): this job runs right after theirs. Grove peers
    // only: toward a BEAM node, writes keep the end of the turn (see `DistRouter.reply`).
    if (channel.flush !== undefined && channel.protocol !== 'erlang') queueMicrotask(() => conn.state === 'up' && conn.channel === channel && channel.flush!());
    const nodeType: NodeType = conn.hidden ? 'hidden' : 'visible';
    log.debug(`${this.node.name}: nodeup ${conn.peer} (${nodeType})`);
    this.notify({ type: 'nodeup', node: conn.peer, nodeType });
    // A BEAM node learns of others through its own global, not Grove's peer list.
    if (!conn.hidden && this.options.connectAll && channel.protocol !== 'erlang') {
      const nodes = this.router.peers('visible').filter((n) => n !== conn.peer);
      if (nodes.length > 0) conn.regSend(undefined, NET_KERNEL, { type: PEERS, nodes });
    }
  }

  /** @internal */
  down(conn: Connection, reason: string, wasUp: boolean): void {
    // A pending connection's attempt ends with it; a restarted peer's attempt to replace an up one takes over a new pending connection.
    conn.attempt?.abort();
    const replacement = conn.replacement;
    conn.attempt = conn.replacement = null;
    if (replacement !== null) {
      if (this.stopped || this.router.connections.has(conn.peer)) replacement.abort();
      else this.router.open(conn.peer).attempt = replacement;
    }
    this.settle(conn, false);
    this.hiddenPeers.delete(conn.peer);
    if (!wasUp) return;
    const nodeType: NodeType = conn.hidden ? 'hidden' : 'visible';
    log.debug(`${this.node.name}: nodedown ${conn.peer} (${reason})`);
    this.notify({ type: 'nodedown', node: conn.peer, nodeType, reason });
  }

  private settle(conn: Connection, up: boolean): void {
    const list = this.waiters.get(conn);
    if (list === undefined) return;
    this.waiters.delete(conn);
    for (const resolve of list) resolve(up);
  }

  private notify(msg: NodeUpMessage | NodeDownMessage): void {
    for (const subs of this.subscribers.values()) {
      for (const s of subs) {
        if (s.nodeType !== 'all' && s.nodeType !== msg.nodeType) continue;
        for (let i = 0; i < s.count; i++) this.node.send(s.pid, msg);
      }
    }
  }

  // ---- the net_kernel process ----

  /**
   * `ping`'s `{ type: 'is_auth' }` (an object, so it comes here rather than to a
   * `@Call` route); anything else is an unknown call. A call with no caller to answer
   * (a forged GenCall) is dropped.
   */
  override handleCall(request: unknown, from: From): unknown {
    if (!canReply(from)) return refuse(NET_KERNEL, this.node.name, from, `a call of ${formatTerm(request)}`);
    const req = request as { type?: unknown } | null;
    if (typeof req === 'object' && req !== null && req.type === 'is_auth') return 'yes';
    return super.handleCall(request, from);
  }

  /**
   * @internal the peer list `conn`'s peer sent at nodeup (its visible nodes): connect
   * to those this node would connect to anyway, within the mesh's caps (see the top).
   */
  peerList(conn: Connection, nodes: unknown): void {
    if (this.stopped || this.options.hidden || !this.options.connectAll || conn.state !== 'up' || conn.hidden) return;
    if (!Array.isArray(nodes)) return void log.warn(`${this.node.name}: ignored a malformed peer list from ${conn.peer}`);
    for (const n of this.meshTargets(conn.peer, nodes)) void this.connect(n);
  }

  /**
   * @internal the nodes of a peer's list (`from` sent it) this node may dial: well-formed
   * names of this node's kind, not this node, not connected or connecting, at most
   * {@link MESH_DIALS_PER_LIST} of them and within the mesh's rate (each one returned
   * takes a dial from it). The mesh's peer lists and global's sync (the nodes of the
   * peer's partition) both go through here.
   */
  meshTargets(from: string, nodes: readonly unknown[]): string[] {
    const kind = nodeNameKind(this.node.name);
    const dial: string[] = [];
    let skipped = 0;
    for (const n of nodes) {
      if (!isNodeName(n, kind) || n === this.node.name || this.router.connections.has(n) || dial.includes(n)) continue;
      if (dial.length < MESH_DIALS_PER_LIST && this.meshDial()) dial.push(n);
      else skipped++;
    }
    if (skipped > 0) {
      log.warn(`${this.node.name}: ${from} listed ${dial.length + skipped} nodes to connect to; connecting to ${dial.length} (the mesh dials at most ${MESH_DIALS_PER_LIST} per list and ${MESH_DIALS_PER_PERIOD} every ${MESH_PERIOD_MS} ms)`);
    }
    return dial;
  }

  /** Takes one mesh dial from the current window: false when none is left. */
  private meshDial(): boolean {
    const now = this.node.clock.now();
    if (now - this.meshWindowAt >= MESH_PERIOD_MS) {
      this.meshWindowAt = now;
      this.meshDials = MESH_DIALS_PER_PERIOD;
    }
    if (this.meshDials === 0) return false;
    this.meshDials--;
    return true;
  }

  /** The process ends: so do its connections and ticks (nothing when `stop` ran first). */
  override terminate(): void {
    this.stop();
  }

  // ---- ticks ----

  private armTick(): void {
    if (this.stopped) return;
    this.tickTimer = this.node.clock.setTimeout(this.tick, Math.max(1, Math.floor(this.options.netTickTimeMs / 4)), true);
  }

  private readonly tick = (): void => {
    this.tickTimer = null;
    for (const c of [...this.router.connections.values()]) {
      if (c.state !== 'up') continue;
      if (c.inCount === c.lastInCount) c.idleTicks++;
      else c.idleTicks = 0;
      c.lastInCount = c.inCount;
      if (c.idleTicks >= 4) {
        log.warn(`${this.node.name}: ${c.peer} not responding within the net tick time (${this.options.netTickTimeMs} ms): disconnecting`);
        c.close('net_tick_timeout');
        continue;
      }
      if (c.outCount === c.lastOutCount) c.write({ type: 'tick' });
      c.lastOutCount = c.outCount;
    }
    this.armTick();
  };
}

/** True for a nodeup or nodedown message. */
export function isNodeMessage(msg: unknown): msg is NodeUpMessage | NodeDownMessage {
  if (typeof msg !== 'object' || msg === null) return false;
  const t = (msg as { type?: unknown }).type;
  return (t === 'nodeup' || t === 'nodedown') && typeof (msg as { node?: unknown }).node === 'string';
}

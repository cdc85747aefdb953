/**
 * Membership (OTP `net_kernel`): connecting and disconnecting nodes, `nodes()`,
 * `ping`, node monitors (nodeup/nodedown), the heartbeat, and the transitive mesh.
 *
 * - Connecting: the router creates a pending connection on first use (or `connect`
 *   does); `setup` dials (port-mapper lookup, socket, handshake: the `Dialer`) and
 *   hands the channel to the connection, or closes it when dialing fails. Accepted
 *   channels come in through `accepted`, after `admit` settled name clashes and
 *   simultaneous connects (the node with the greater name keeps its own attempt,
 *   as in OTP's `dist_util`).
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
import { formatTerm, callServer, GenServer, getLogger, type From, type Node, type Pid } from '@grove/core';
import type { Channel } from '../transport/transport';
import type { Connection } from './connection';
import type { DistRouter } from './dist_router';
import { HandshakeError } from '../errors';
import { simultaneousConnectStatus } from '../handshake/handshake';
import { isNodeName, nodeNameKind } from './node_name';
import { canReply, refuse } from './bad_request';

/** The name of the net kernel process on every node. */
export const NET_KERNEL = 'net_kernel';

/** Opens an authenticated channel to `peer` (lookup, connect, handshake); `hidden` makes this node hidden to it. */
export type Dialer = (peer: string, hidden: boolean) => Promise<Channel>;

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
  /** Connect on first use (Erlang's `dist_auto_connect`). Default true. */
  autoConnect: boolean;
  /** How long a connection may stay pending waiting for the peer's winning simultaneous attempt. */
  setupTimeoutMs: number;
  dial: Dialer;
}

/** A node monitor: who hears of which nodes. */
interface Subscriber {
  readonly pid: Pid;
  readonly nodeType: NodeType | 'all';
}

/** The node monitors, by subscriber pid key: they outlive a net kernel that is restarted. */
export type NodeMonitors = Map<string, Subscriber>;

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
    for (const [key, s] of monitors) if (!this.node.isAlive(s.pid)) monitors.delete(key);
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

  /** Connected nodes: `visible` (default, as `nodes()`), `hidden`, or `connected` (both). */
  nodes(kind: 'visible' | 'hidden' | 'connected' = 'visible'): string[] {
    return this.router.peers(kind);
  }

  /**
   * Subscribes `pid` (on) or unsubscribes it (off) to nodeup/nodedown messages. A
   * subscription ends with its process.
   */
  monitorNodes(pid: Pid, on: boolean, options: MonitorNodesOptions = {}): void {
    if (!on) {
      this.subscribers.delete(pid.key);
      return;
    }
    if (!this.node.isAlive(pid)) return;
    this.subscribers.set(pid.key, { pid, nodeType: options.nodeType ?? 'visible' });
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
   * Decides on an incoming connection from `peer` (the handshake asks before it
   * answers): `ok`; in a simultaneous connect, `nok` when this node's own attempt
   * wins, `ok_simultaneous` when the peer's does (the greater name wins, as OTP);
   * `alive` when a connection is already up (the peer says whether it restarted).
   */
  admit(peer: string): Admission {
    if (this.stopped) return 'nok';
    // The handshake logs the refusal with this reason, and tells the peer.
    if (!this.isAllowed(peer)) return { refuse: `${peer} is not in the allow list (net_kernel:allow)` };
    const c = this.router.connections.get(peer);
    if (c === undefined) return 'ok';
    if (c.state === 'up') return 'alive';
    return simultaneousConnectStatus(this.node.name, peer);
  }

  /** An accepted, authenticated channel: adopted by the peer's connection (pending ones keep their queue). */
  accepted(channel: Channel): void {
    if (this.stopped) {
      channel.close('net_kernel_terminated');
      return;
    }
    const c = this.router.connections.get(channel.peer);
    if (c !== undefined && c.state === 'up') {
      // The peer restarted (`alive`, then it said proceed): the old connection is stale.
      if (channel.replaces === true) c.close('connection_closed');
      else {
        channel.close('name_clash');
        return;
      }
    }
    this.router.adoptChannel(channel);
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
    this.options.dial(peer, this.options.hidden || this.hiddenPeers.has(peer)).then(
      (channel) => {
        // Another channel (an accepted one that won the tie-break) may have been adopted meanwhile.
        if (conn.state === 'pending') conn.adopt(channel);
        else channel.close('connection_closed');
      },
      (err: unknown) => {
        log.debug(`cannot connect to ${peer}: ${err instanceof Error ? err.message : String(err)}`);
        if (conn.state !== 'pending') return;
        if (err instanceof HandshakeError && err.reason === 'simultaneous') {
          // The peer is connecting to us and its attempt won the tie-break: keep this
          // connection (and its queue) pending for that channel, within the setup time.
          this.node.clock.setTimeout(() => conn.state === 'pending' && conn.close('connect_failed'), this.options.setupTimeoutMs, true);
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
    const nodeType: NodeType = conn.hidden ? 'hidden' : 'visible';
    log.debug(`${this.node.name}: nodeup ${conn.peer} (${nodeType})`);
    this.notify({ type: 'nodeup', node: conn.peer, nodeType });
    if (!conn.hidden && this.options.connectAll) {
      const nodes = this.router.peers('visible').filter((n) => n !== conn.peer);
      if (nodes.length > 0) conn.regSend(undefined, NET_KERNEL, { type: PEERS, nodes });
    }
  }

  /** @internal */
  down(conn: Connection, reason: string, wasUp: boolean): void {
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
    for (const s of this.subscribers.values()) {
      if (s.nodeType === 'all' || s.nodeType === msg.nodeType) this.node.send(s.pid, msg);
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
    const kind = nodeNameKind(this.node.name);
    const dial: string[] = [];
    let skipped = 0;
    for (const n of nodes as unknown[]) {
      if (!isNodeName(n, kind) || n === this.node.name || this.router.connections.has(n) || dial.includes(n)) continue;
      if (dial.length < MESH_DIALS_PER_LIST && this.meshDial()) dial.push(n);
      else skipped++;
    }
    if (skipped > 0) {
      log.warn(`${this.node.name}: ${conn.peer} listed ${dial.length + skipped} nodes to connect to; connecting to ${dial.length} (the mesh dials at most ${MESH_DIALS_PER_LIST} per list and ${MESH_DIALS_PER_PERIOD} every ${MESH_PERIOD_MS} ms)`);
    }
    for (const n of dial) void this.connect(n);
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

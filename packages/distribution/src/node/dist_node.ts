/**
 * A distributed node: a @grove/core `Node` with a name, plus everything that makes
 * it reachable (OTP's `net_kernel:start`): the router plugged into the node, the
 * kernel supervisor (net kernel, global name server, rex), the spawn service, and a
 * transport — TCP or TLS sockets registered with the port mapper, or (for tests) an
 * in-memory transport between nodes of one OS process.
 *
 * `startDistributed` resolves once the node listens and is registered; `stop`
 * closes every connection (peers see `nodedown`), unregisters, and halts the node.
 * The functions after it are what processes call: spawn on another node (the
 * protocol is `remote_spawn.ts`), node monitors, `nodes()`, and `remoteChild`, a
 * supervisor child on another node.
 */
import { attachRouter, BadArgError, formatTerm, GenServer, getLogger, Node, ServerRef, stopServer, type NodeInbound, type ChildSpec, type ChildType, type NodeOptions, type Pid, type ProcessContext, type Ref, type RestartType, type Shutdown } from '@grove/core';
import { DistRouter } from './dist_router';
import { DistNodeError, SpawnError } from '../errors';
import { messageCopier } from '../wire/message_copier';
import { kernelOf, type AllowList, type MonitorNodesOptions, type NetKernel, type NodeMonitors } from './net_kernel';
import { KERNEL_SUP, startKernelSup } from './kernel_sup';
import { MAX_COOKIE_BYTES, resolveCookie } from '../handshake/cookie';
import { isNodeName } from './node_name';
import { SpawnService, type RemoteSpawnResult, type Spawnable, type SpawnableOptions, type SpawnStarter } from './remote_spawn';
import { memoryTransport } from '../transport/memory_transport';
import type { ChannelStats, NodeTransport, TransportStart } from '../transport/transport';
import { tcpTransport } from '../transport/tcp_transport';
import { busyWaitOption } from '../transport/busy_wait';
import type { TlsOptions } from '../transport/tcp';

/** Default net tick time, as OTP: 60 s (a silent peer is dropped within it). */
export const DEFAULT_NET_TICK_TIME_MS = 60_000;

/** Options of {@link startDistributed}. */
export interface DistOptions {
  /** The node's name, `alive@host` (e.g. `alice@127.0.0.1`); with `node`, that node's name. */
  name: string;
  /**
   * Make this running node distributed rather than creating one (OTP `net_kernel:start`
   * on a live node): its processes, registered names and timers are kept. Its name
   * must be a node name (`new Node({ name: 'alice@127.0.0.1' })`), because a Grove pid
   * carries its node's name and cannot be renamed: a `nonode@nohost` node is refused.
   * After {@link DistNode.stopDistribution} the same node can be started again.
   */
  node?: Node;
  /** The shared secret. Default: `GROVE_COOKIE`, else `~/.grove.cookie` (see resolveCookie). */
  cookie?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /**
   * Listen on the first free port from `min` to `max` (OTP's `inet_dist_listen_min`/`max`,
   * for firewalls); cannot go with `port`.
   */
  portRange?: { min: number; max: number };
  /** Address to listen on (OTP's `inet_dist_use_interface`). Default `127.0.0.1`. */
  host?: string;
  /**
   * Accept connections from, and connect to, only these nodes (OTP `net_kernel:allow/1`,
   * in force from the start); {@link DistNode.allow} adds more. Default: every node with
   * the right cookie.
   */
  allow?: readonly string[];
  /** The port mapper's port. Default GROVE_EPMD_PORT, ERL_EPMD_PORT, else 4369. */
  epmdPort?: number;
  /**
   * Where this host's port mapper answers, and where the embedded one binds when none
   * does (it binds loopback only unless told otherwise). Default `127.0.0.1`. Set it to
   * the address other machines reach this one at (e.g. the pod IP) for a cluster found
   * by DNS, where peers look this node up on that address; registering stays limited to
   * this host, as with `epmd`.
   */
  epmdHost?: string;
  /** Connect with TLS, verifying both ends' certificates. */
  tls?: TlsOptions;
  /** A hidden node: not in other nodes' `nodes()`, never part of the transitive mesh. */
  hidden?: boolean;
  /** Net tick time: a peer silent this long is disconnected (`net_tick_timeout`). Default 60,000 ms. */
  netTickTimeMs?: number;
  /** Connect to the nodes a new peer knows (a full mesh). Default true. */
  connectAll?: boolean;
  /**
   * OTP 25 global's `prevent_overlapping_partitions`: when a node loses another, the
   * nodes still connected to both disconnect from them, so the cluster stays a set of
   * fully connected partitions (see the README's global section). Needs `connectAll`,
   * and should be the same on every node. Default true.
   */
  preventOverlappingPartitions?: boolean;
  /** Connect on first send, link, monitor or spawn. Default true. */
  autoConnect?: boolean;
  /**
   * Largest frame accepted from a peer (and sent to one). Default 1 MiB: a larger
   * message goes in fragments (of at most a quarter of it, and 256 KiB).
   */
  maxFrameBytes?: number;
  /**
   * Largest message, once reassembled from fragments, accepted from a peer (and sent
   * to one: a larger one throws a NotCopyableError at its sender). A peer that sends a
   * larger one is disconnected (`message_too_large`). Default 128 MiB.
   */
  maxMessageBytes?: number;
  /**
   * Bytes waiting to go to one peer over which its connection is busy, and the local
   * processes that send to it are held until it drains under half (OTP's
   * `dist_buf_busy_limit`). Default 8 MiB (OTP's is 1 MiB: see the README's Limits).
   */
  distBufBusyLimit?: number;
  /**
   * Bytes waiting to go to one peer over which messages to it are dropped (and
   * counted in {@link DistNode.connectionInfo}): the bound for senders that cannot be
   * held (the node itself, a process that never yields). Default 256 MiB.
   */
  maxSendQueueBytes?: number;
  /**
   * Microseconds the event loop keeps polling after this node writes to a peer that
   * sent it something in the last 100 ms, before it sleeps (BEAM's scheduler busy wait,
   * `erl +sbwt`). A reply that comes within it is
   * read without the wake-up of a sleeping thread, which on a virtual machine costs
   * more than the rest of a round trip: sequential remote calls run about twice as
   * fast. The price is CPU: up to this long of polling after each burst of writes (a
   * request every 10 ms costs 2% of a core at the default). 0 turns it off; at most
   * 100,000. The event loop is shared: with several nodes in one thread, the longest
   * wait of the nodes that wrote applies. Default 200.
   */
  busyWaitUs?: number;
  /** How long connecting (lookup, socket, handshake) may take. Default 7000 ms. */
  connectTimeoutMs?: number;
  /** Incoming connections in their handshake at once, at most (idle ones make room for new ones). Default 64. */
  maxHandshakes?: number;
  /** The same, per remote address. Default 16. */
  maxHandshakesPerAddress?: number;
  /** `tcp` (default) or `memory`: nodes of one OS process linked without sockets (tests). */
  transport?: 'tcp' | 'memory';
  /** Further options for the underlying Node (clock, checkMessages, scheduler). */
  nodeOptions?: Omit<NodeOptions, 'name' | 'creation'>;
}

/** A connection as {@link DistNode.connectionInfo} reports it. */
export interface ConnectionInfo extends ChannelStats {
  readonly peer: string;
  /** `pending` while connecting (what is sent queues), `up`, or `down`. */
  readonly state: 'pending' | 'up' | 'down';
  /** Either end is a hidden node. */
  readonly hidden: boolean;
  /** Control messages received and sent on it. */
  readonly messagesIn: number;
  readonly messagesOut: number;
}

const distNodes = new WeakMap<Node, DistNode>();

/** The name of a node that is not distributed. */
const LOCAL_NODE_NAME = 'nonode@nohost';

const log = getLogger('dist');

/**
 * Ends the kernel supervisor and with it the system processes startDistributed
 * started (net_kernel, global_name_server, rex), last started first.
 */
async function endKernelServices(node: Node): Promise<void> {
  if (node.whereis(KERNEL_SUP) === undefined) return;
  await stopServer(node, KERNEL_SUP, 'shutdown').catch(() => undefined);
}

/**
 * True when `node` is distributed and distribution has not stopped (OTP
 * `erlang:is_alive/0`); false for a local node.
 */
export function isAlive(node: Node | DistNode): boolean {
  const d = node instanceof DistNode ? node : distNodes.get(node);
  return d !== undefined && d.alive;
}

/** A node's cookies: its own, and one per peer set with `setCookie(cookie, peer)`. @internal */
export class CookieJar {
  private readonly perPeer = new Map<string, string>();

  constructor(
    private own: string,
    private readonly self: string,
  ) {}

  get(peer?: string): string {
    if (peer === undefined || peer === this.self) return this.own;
    if (typeof peer !== 'string') throw new BadArgError(`getCookie: expected a node name, got ${formatTerm(peer)}`, peer);
    return this.perPeer.get(peer) ?? this.own;
  }

  set(cookie: string, peer?: string): void {
    if (typeof cookie !== 'string' || cookie === '' || Buffer.byteLength(cookie) > MAX_COOKIE_BYTES) {
      throw new BadArgError(`setCookie: a cookie is a non-empty string of at most ${MAX_COOKIE_BYTES} bytes, got ${formatTerm(cookie)}`, cookie);
    }
    if (peer === undefined || peer === this.self) {
      this.own = cookie;
      return;
    }
    if (!isNodeName(peer)) throw new BadArgError(`setCookie: peer must be a node name like bob@127.0.0.1, got ${formatTerm(peer)}`, peer);
    this.perPeer.set(peer, cookie);
  }
}

/** The distributed node `node` belongs to, if any. */
export function distOf(node: Node): DistNode | undefined {
  return distNodes.get(node);
}

/** Like {@link distOf}, but throws when `node` is not distributed. */
export function requireDist(node: Node, what: string): DistNode {
  const d = distNodes.get(node);
  if (d === undefined) throw new DistNodeError(`${what}: node ${node.name} is not distributed (start it with startDistributed)`);
  return d;
}

/** A running distributed node. */
export class DistNode {
  private stopping: Promise<void> | null = null;
  private distStopping: Promise<void> | null = null;
  private unwatchKernel: () => void = () => undefined;

  /** @internal use {@link startDistributed}. */
  constructor(
    /** The runtime node: spawn processes on it. */
    readonly node: Node,
    /** @internal */
    readonly router: DistRouter,
    /** @internal */
    readonly spawns: SpawnService,
    private readonly transport: NodeTransport,
    /** @internal */
    readonly cookies: CookieJar,
  ) {}

  /** @internal the net kernel running now (a restarted one replaces the last). */
  get kernel(): NetKernel {
    return kernelOf(this.node)!;
  }

  /** `alive@host`. */
  get name(): string {
    return this.node.name;
  }

  /** Where the node listens (`port` 0 for the memory transport). */
  get address(): { host: string; port: number } {
    return this.transport.address;
  }

  /** Connects to `peer`: true when connected, false when unreachable (OTP `net_kernel:connect_node`). */
  connect(peer: string): Promise<boolean> {
    return this.kernel.connect(peer);
  }

  /**
   * Connects to `peer` as if this node were hidden (OTP `net_kernel:hidden_connect_node`):
   * the two do not list each other in `nodes()` (`nodes('hidden')` does) and the
   * connection takes no part in the transitive mesh. True when connected.
   */
  hiddenConnect(peer: string): Promise<boolean> {
    return this.kernel.hiddenConnect(peer);
  }

  /**
   * Adds `nodes` to the list of nodes this node accepts connections from and connects
   * to (OTP `net_kernel:allow/1`). Before the first call (and without the `allow`
   * option) any node with the right cookie may connect; afterwards a connection from a
   * node not in the list is refused, and logged. Nodes cannot be removed; connections
   * already up stay.
   */
  allow(nodes: readonly string[]): void {
    if (!Array.isArray(nodes) || nodes.some((n) => !isNodeName(n))) {
      throw new BadArgError(`allow: expected an array of node names like alice@127.0.0.1, got ${formatTerm(nodes)}`, nodes);
    }
    this.kernel.allow(nodes);
  }

  /**
   * The cookie used with `peer` (OTP `erlang:get_cookie/1`), or, without `peer`, this
   * node's own cookie (`erlang:get_cookie/0`).
   */
  getCookie(peer?: string): string {
    return this.cookies.get(peer);
  }

  /**
   * Sets this node's cookie (OTP `erlang:set_cookie/1`), or, with `peer`, the cookie
   * used with that node only (`erlang:set_cookie/2`; `peer` this node's own name sets
   * its own cookie). Connections already up keep going; the next handshake uses the
   * new cookie, in both directions.
   */
  setCookie(cookie: string, peer?: string): void {
    this.cookies.set(cookie, peer);
  }

  /** The net tick time in milliseconds (OTP `net_kernel:get_net_ticktime/0`, in seconds there). */
  get netTickTimeMs(): number {
    return this.kernel.options.netTickTimeMs;
  }

  /** True until distribution stops (OTP `erlang:is_alive/0`). */
  get alive(): boolean {
    return this.stopping === null && this.distStopping === null;
  }

  /** Closes the connection to `peer` (OTP `disconnect_node`); false when there was none. */
  disconnect(peer: string): boolean {
    return this.kernel.disconnect(peer);
  }

  /** `pong` when `peer` answers, else `pang` (OTP `net_adm:ping`). */
  ping(peer: string, timeoutMs?: number): Promise<'pong' | 'pang'> {
    return this.kernel.ping(peer, timeoutMs);
  }

  /**
   * The connection to `peer` as it is now: its state, the bytes waiting to be sent,
   * whether it is busy, how many messages it dropped or fragmented (see
   * {@link ConnectionInfo}); undefined when there is none.
   */
  connectionInfo(peer: string): ConnectionInfo | undefined {
    const c = this.router.connections.get(peer);
    if (c === undefined) return undefined;
    const stats = c.channel?.stats();
    return {
      peer,
      state: c.state,
      hidden: c.hidden,
      messagesIn: c.inCount,
      messagesOut: c.outCount,
      pendingBytes: stats?.pendingBytes ?? 0,
      busy: stats?.busy ?? false,
      busyCount: stats?.busyCount ?? 0,
      droppedMessages: stats?.droppedMessages ?? 0,
      fragmentedOut: stats?.fragmentedOut ?? 0,
      fragmentedIn: stats?.fragmentedIn ?? 0,
      reassemblyBytes: stats?.reassemblyBytes ?? 0,
      bytesIn: stats?.bytesIn ?? 0,
      bytesOut: stats?.bytesOut ?? 0,
    };
  }

  /** Connected nodes: `visible` (default), `hidden`, or `connected` (both). */
  nodes(kind: 'visible' | 'hidden' | 'connected' = 'visible'): string[] {
    return this.kernel.nodes(kind);
  }

  /**
   * Subscribes `pid` to nodeup/nodedown messages (on), or ends its subscriptions with
   * the same options (off); each `on` adds one and each message comes once per
   * subscription (OTP `net_kernel:monitor_nodes/2`).
   */
  monitorNodes(pid: Pid, on = true, options?: MonitorNodesOptions): void {
    this.kernel.monitorNodes(pid, on, options);
  }

  /**
   * Lets peers spawn `spawnable` (a process body `(ctx, ...args)`, or a GenServer
   * class) by `name`; a class alone is registered under its own name, which is what
   * `spawnRemote(ctx, node, Cls, arg)` and `remoteChild(Cls, ...)` ask for. With
   * `allowFrom`, only those nodes may spawn it; others are told it is not registered.
   */
  registerSpawnable(cls: SpawnStarter & { readonly name: string }, options?: SpawnableOptions): void;
  registerSpawnable(name: string, spawnable: Spawnable, options?: SpawnableOptions): void;
  registerSpawnable(nameOrClass: string | (SpawnStarter & { readonly name: string }), spawnableOrOptions?: Spawnable | SpawnableOptions, options?: SpawnableOptions): void {
    if (typeof nameOrClass === 'function') {
      this.spawns.register((nameOrClass as { name: string }).name, nameOrClass, spawnableOrOptions as SpawnableOptions | undefined);
      return;
    }
    this.spawns.register(nameOrClass as string, spawnableOrOptions as Spawnable, options);
  }

  /** Stops peers from spawning `name`. */
  unregisterSpawnable(name: string): boolean {
    return this.spawns.unregister(name);
  }

  /** Spawns `name(args)` on `peer` from outside any process (no link). */
  async spawn(peer: string, name: string, args: readonly unknown[] = []): Promise<Pid> {
    return (await this.spawns.request(this.router.inbound.root.self, peer, name, args, { link: false, monitor: false })).pid;
  }

  /** Closes every connection, unregisters from the port mapper, stops listening, and halts the node. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await (this.distStopping ??= this.endDistribution(false));
      this.node.halt();
    })();
    return this.stopping;
  }

  /**
   * Stops distribution and keeps the node running locally (OTP `net_kernel:stop/0`):
   * every connection closes (peers see `nodedown`), the node unregisters from the port
   * mapper and stops listening, and `isAlive` becomes false. Its processes, names and
   * timers go on; sends to other nodes are dropped, and links and monitors to
   * processes on them fire with `noconnection`, as when a connection goes down. The
   * kernel services (`net_kernel`, `global`, `rex`) end. The node keeps its name (see
   * the README: Grove cannot rename live pids).
   */
  stopDistribution(): Promise<void> {
    return (this.distStopping ??= this.endDistribution(true));
  }

  /**
   * Closes the connections and detaches the router; with `keepNode`, also ends the
   * kernel services one by one (the node goes on), else halts the node at once, so
   * that what was under way ends with it.
   */
  private async endDistribution(keepNode: boolean): Promise<void> {
    this.unwatchKernel();
    this.kernel.stop();
    if (keepNode) {
      distNodes.delete(this.node);
      await endKernelServices(this.node);
    }
    this.router.inbound.detach();
    inbounds.delete(this.node);
    if (!keepNode) this.node.halt();
    await this.transport.close();
  }

  /** @internal stops the node when the kernel supervisor `sup` terminates (it gave up: its children kept dying), as OTP's node halts. */
  watchKernel(sup: Pid): void {
    this.unwatchKernel = this.node.onExit((pid, reason) => {
      if (!pid.equals(sup)) return;
      this.unwatchKernel();
      log.error(`${this.name}: ${KERNEL_SUP} terminated (${formatTerm(reason)}): the node stops`);
      void this.stop();
    });
  }
}

/**
 * Starts a distributed node: resolves once it listens and is registered with the
 * port mapper (started embedded when none runs).
 *
 * @example
 * const alice = await startDistributed({ name: 'alice@127.0.0.1', cookie: 'secret' });
 * await alice.ping('bob@127.0.0.1'); // 'pong'
 */
export async function startDistributed(options: DistOptions): Promise<DistNode> {
  if (typeof options !== 'object' || options === null) throw new BadArgError('startDistributed: options must be an object', options);
  const existing = options.node;
  if (existing !== undefined) {
    if (!(existing instanceof Node)) throw new BadArgError(`startDistributed: node must be a Node, got ${formatTerm(existing)}`, existing);
    if (existing.name === LOCAL_NODE_NAME || !isNodeName(existing.name)) {
      throw new BadArgError(
        `startDistributed: node ${existing.name} has no node name, and Grove cannot rename its live processes: create it as new Node({ name: 'alice@127.0.0.1' }) to make it distributed later`,
        existing.name,
      );
    }
    if (options.name !== existing.name) {
      throw new BadArgError(`startDistributed: name ${String(options.name)} differs from the node's name ${existing.name}: a running node keeps its name`, options.name);
    }
    if (distNodes.has(existing)) throw new BadArgError(`startDistributed: node ${existing.name} is already distributed`, existing.name);
  }
  if (!isNodeName(options.name)) throw new BadArgError(`startDistributed: name must be a node name like alice@127.0.0.1, got ${String(options.name)}`, options.name);
  const netTickTimeMs = options.netTickTimeMs ?? DEFAULT_NET_TICK_TIME_MS;
  if (!(typeof netTickTimeMs === 'number' && Number.isFinite(netTickTimeMs) && netTickTimeMs >= 4)) {
    throw new BadArgError(`startDistributed: netTickTimeMs must be a number >= 4, got ${String(netTickTimeMs)}`, netTickTimeMs);
  }
  checkListenOptions(options);
  const busyWaitUs = busyWaitOption(options.busyWaitUs);
  if (typeof busyWaitUs === 'string') throw new BadArgError(`startDistributed: ${busyWaitUs}`, options.busyWaitUs);
  const pop = options.preventOverlappingPartitions;
  if (pop !== undefined && typeof pop !== 'boolean') throw new BadArgError(`startDistributed: preventOverlappingPartitions must be a boolean, got ${formatTerm(pop)}`, pop);
  const allow = options.allow;
  if (allow !== undefined && (!Array.isArray(allow) || allow.some((n) => !isNodeName(n)))) {
    throw new BadArgError(`startDistributed: allow must be an array of node names like bob@127.0.0.1, got ${formatTerm(allow)}`, allow);
  }
  const memory = options.transport === 'memory';
  // The memory transport never reads the cookie file: without a cookie its nodes share 'nocookie'.
  const cookies = new CookieJar(memory ? (options.cookie ?? 'nocookie') : resolveCookie(options.cookie !== undefined ? { cookie: options.cookie } : {}), options.name);
  const start: TransportStart = memory ? memoryTransport : tcpTransport;
  let dist: DistNode | null = null;
  const transport = await start(
    { ...options, busyWaitUs },
    {
      admit: (peer, attempt) => dist?.kernel.admit(peer, attempt) ?? 'nok',
      accepted: (channel, attempt) => (dist !== null ? dist.kernel.accepted(channel, attempt) : channel.close('not_allowed')),
      acceptFailed: (peer, attempt) => dist?.kernel.acceptFailed(peer, attempt),
      cookie: (peer) => cookies.get(peer),
    },
    existing?.creation,
  );
  const node = existing ?? new Node({ ...options.nodeOptions, name: options.name, creation: transport.creation });
  let router!: DistRouter;
  let inbound: NodeInbound;
  try {
    inbound = attachRouter(node, (inb) => (router = new DistRouter(node, inb)));
  } catch (e) {
    await transport.close();
    throw e;
  }
  inbounds.set(node, inbound);
  if (node.checkMessages) inbound.setMessageCopier(messageCopier(node));
  const spawns = new SpawnService(node, router);
  let sup: Pid;
  try {
    // The services every node runs, as OTP's kernel does: net_kernel, global_name_server and rex.
    sup = await startKernelSup(node, {
      router,
      monitors: new Map() satisfies NodeMonitors,
      allowed: { nodes: allow === undefined ? null : new Set(allow) } satisfies AllowList,
      options: {
        hidden: options.hidden === true,
        netTickTimeMs,
        connectAll: options.connectAll ?? true,
        preventOverlappingPartitions: options.preventOverlappingPartitions ?? true,
        autoConnect: options.autoConnect ?? true,
        setupTimeoutMs: options.connectTimeoutMs ?? 7000,
        dial: (peer, hidden, attempt) => transport.dial(peer, { name: node.name, creation: node.creation, hidden }, attempt),
      },
    });
  } catch (e) {
    kernelOf(node)?.stop();
    if (existing === undefined) node.halt();
    else {
      await endKernelServices(node);
      inbound.detach();
      inbounds.delete(node);
    }
    await transport.close();
    throw e;
  }
  // Only now does the transport admit peers: every service they may talk to runs.
  const d = (dist = new DistNode(node, router, spawns, transport, cookies));
  distNodes.set(node, d);
  router.membership = d;
  d.watchKernel(sup);
  return d;
}

function checkListenOptions(options: DistOptions): void {
  const isPort = (p: unknown): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535;
  if (options.port !== undefined && !isPort(options.port)) throw new BadArgError(`startDistributed: port must be a whole number from 0 to 65535, got ${formatTerm(options.port)}`, options.port);
  const r = options.portRange;
  if (r === undefined) return;
  if (options.port !== undefined) throw new BadArgError('startDistributed: port and portRange cannot go together', r);
  if (typeof r !== 'object' || r === null || !isPort(r.min) || !isPort(r.max) || r.min < 1 || r.min > r.max) {
    throw new BadArgError(`startDistributed: portRange must be { min, max } with 1 <= min <= max <= 65535, got ${formatTerm(r)}`, r);
  }
}

// ---- from inside processes ----

/** Who acts on a distributed node: a process context, or a Node or DistNode (whose root process acts). */
export type DistCaller = ProcessContext | Node | DistNode;

/** The seam's inbound side of each distributed node, from the moment its router attaches. */
const inbounds = new WeakMap<Node, NodeInbound>();

/**
 * The process that acts for `from`: a process context itself, or the root process of
 * a (distributed) node, reached through core's seam; a DistNodeError for a node that
 * is not distributed, a BadArgError naming `what` for anything else. @internal
 */
export function callerOf(from: DistCaller, what: string): ProcessContext {
  if (from instanceof DistNode || from instanceof Node) {
    const node = from instanceof DistNode ? from.node : from;
    const inbound = inbounds.get(node);
    if (inbound === undefined) throw new DistNodeError(`${what}: node ${node.name} is not distributed (start it with startDistributed)`);
    return inbound.root;
  }
  if (typeof from === 'object' && from !== null && from.node instanceof Node) return from;
  throw new BadArgError(`${what}: expected a process context, a Node or a DistNode, got ${formatTerm(from)}`, from);
}

/** `node` and the visible nodes it is connected to (OTP `[node() | nodes()]`). @internal */
export function knownNodes(node: Node): string[] {
  return [node.name, ...(distOf(node)?.nodes('visible') ?? [])];
}

/** {@link knownNodes} without BEAM nodes: the nodes Grove's `global` speaks with. @internal */
export function knownGroveNodes(node: Node): string[] {
  return [node.name, ...(kernelOf(node)?.groveNodes() ?? [])];
}

/** A GenServer class's init parameters. */
type InitParams<S> = S extends { init(...args: infer A): any } ? A : [];

/** What a remote start of class instance `S` takes after the class: init's argument (optional when init takes none or may take undefined). */
export type RemoteStartArgs<S> = InitParams<S> extends [] ? [arg?: undefined] : undefined extends InitParams<S>[0] ? [arg?: InitParams<S>[0]] : [arg: InitParams<S>[0]];

/**
 * Starts a GenServer of class `cls` on `peer` (registered there under the class's
 * name: `registerSpawnable(Cls)`), not linked, with init's argument `arg` (checked
 * against the class at compile time); resolves with a typed {@link ServerRef}
 * calling from `from`, once init returned there.
 */
export function spawnRemote<S extends GenServer<any>>(from: ProcessContext | Node, peer: string, cls: new () => S, ...arg: RemoteStartArgs<S>): Promise<ServerRef<S>>;
/** Spawns the spawnable `name` on `peer` with `args` (OTP `spawn(Node, ...)`); resolves with its pid. */
export function spawnRemote(from: ProcessContext | Node, peer: string, name: string, args?: readonly unknown[]): Promise<Pid>;
export async function spawnRemote(from: ProcessContext | Node, peer: string, nameOrClass: string | (new () => GenServer<any>), ...rest: unknown[]): Promise<Pid> {
  const caller = callerOf(from, 'spawnRemote');
  const d = requireDist(caller.node, 'spawnRemote');
  if (typeof nameOrClass === 'function') {
    const cls = checkServerClass(nameOrClass, 'spawnRemote');
    const args = rest.length === 0 || rest[0] === undefined ? [] : [rest[0]];
    const pid = (await d.spawns.request(caller.self, peer, cls.name, args, { link: false, monitor: false })).pid;
    return new ServerRef(pid, cls, from);
  }
  const args = (rest[0] ?? []) as readonly unknown[];
  return (await d.spawns.request(caller.self, peer, nameOrClass, args, { link: false, monitor: false })).pid;
}

/** `cls` if it is a GenServer class; else a BadArgError naming `what`. */
function checkServerClass<S extends GenServer<any>>(cls: new () => S, what: string): new () => S {
  if (typeof cls !== 'function' || !(cls.prototype instanceof GenServer)) throw new BadArgError(`${what}: expected a GenServer class or a spawnable's name, got ${formatTerm(cls)}`, cls);
  return cls;
}

/**
 * Spawns on `peer` linked to the calling process (OTP `spawn_link(Node, ...)`). When
 * `peer` cannot be reached (or is lost before it answers) it resolves, as OTP, with the
 * pid of a local stand-in that logs a warning and exits with `noconnection`, so the
 * caller gets the link's exit signal (an `EXIT` when trapping). Other failures reject
 * with a {@link SpawnError}.
 */
export async function spawnLinkRemote(ctx: ProcessContext, peer: string, name: string, args: readonly unknown[] = []): Promise<Pid> {
  const d = requireDist(ctx.node, 'spawnLinkRemote');
  return (await d.spawns.request(ctx.self, peer, name, args, { link: true, monitor: false }).catch((e: unknown) => standIn(ctx, peer, name, e, true))).pid;
}

/**
 * Spawns on `peer` monitored by the calling process (OTP `spawn_monitor(Node, ...)`).
 * When `peer` cannot be reached (or is lost before it answers) it resolves, as OTP,
 * with a local stand-in's pid and the monitor's ref, and the `DOWN` says
 * `noconnection`. Other failures reject with a {@link SpawnError}.
 */
export async function spawnMonitorRemote(ctx: ProcessContext, peer: string, name: string, args: readonly unknown[] = []): Promise<[Pid, Ref]> {
  const d = requireDist(ctx.node, 'spawnMonitorRemote');
  const r = await d.spawns.request(ctx.self, peer, name, args, { link: false, monitor: true }).catch((e: unknown) => standIn(ctx, peer, name, e, false));
  return [r.pid, r.ref!];
}

/**
 * What OTP's `spawn_link`/`spawn_monitor` give when the node cannot be reached: a local
 * process that says it cannot start `name` there and exits with `noconnection`, linked
 * to or monitored by the caller. Any other failure `e` is thrown on.
 */
function standIn(ctx: ProcessContext, peer: string, name: string, e: unknown, link: boolean): RemoteSpawnResult {
  if (!(e instanceof SpawnError && e.reason === 'noconnection')) throw e;
  const pid = ctx.spawn(
    (c) => {
      log.warn(`${ctx.node.name}: cannot start ${name} on ${peer} for ${ctx.self}: the node cannot be reached`);
      c.exit('noconnection');
    },
    { link, label: `noconnection ${name}@${peer}` },
  );
  return { pid, ref: link ? undefined : ctx.monitor(pid) };
}

/**
 * Subscribes the calling process to nodeup/nodedown messages (OTP
 * `net_kernel:monitor_nodes/2`). Each call with `on` adds a subscription, and each
 * message comes once per subscription; `on` false ends every subscription the process
 * made with the same options (`nodeType`, default `visible`) and leaves the others.
 */
export function monitorNodes(ctx: ProcessContext, on = true, options?: MonitorNodesOptions): void {
  requireDist(ctx.node, 'monitorNodes').monitorNodes(ctx.self, on, options);
}

/** The visible nodes `node` is connected to (OTP `nodes()`); empty for a node that is not distributed. */
export function nodes(node: Node, kind: 'visible' | 'hidden' | 'connected' = 'visible'): string[] {
  return distOf(node)?.nodes(kind) ?? [];
}

// ---- supervisor children on other nodes ----

/** A child that runs on another node. */
export interface RemoteChildSpec {
  /** Unique among the supervisor's children. */
  id: string;
  /** The node the child runs on (`bob@127.0.0.1`). */
  node: string;
  /** The name the child's node registered the spawnable under (`registerSpawnable`). */
  spawnable: string;
  /** Arguments: spread into a process body; `[initArg]` for a GenServer class. */
  args?: readonly unknown[];
  restart?: RestartType;
  shutdown?: Shutdown;
  type?: ChildType;
  significant?: boolean;
}

/**
 * A child of class `S` that runs on another node, registered there under the
 * class's name (`registerSpawnable(Cls)`): `args` is init's argument, checked
 * against the class at compile time; `id` defaults to the class's name.
 */
export type RemoteClassChildSpec<S> = Omit<RemoteChildSpec, 'id' | 'spawnable' | 'args'> & { id?: string } & (RemoteStartArgs<S> extends [arg: infer A]
    ? { args: A }
    : RemoteStartArgs<S> extends [arg?: infer A]
      ? { args?: A }
      : never);

/**
 * A supervisor child spec whose child runs on `spec.node`. Its `start` spawn_links
 * the registered spawnable there (SPAWN_REQUEST with the link flag, so the link
 * exists before the child can run or die; a GenServer is answered after its `init`)
 * and resolves with the remote pid. From then on the supervisor's links, monitors
 * and exit signals reach the child through the router, so restarts, shutdowns
 * (`shutdown`, then `kill` after the timeout) and `noconnection` (the child's node
 * was lost: an abnormal exit, so a permanent child is restarted, which fails while
 * the node stays unreachable and escalates as OTP would) work as for a local child.
 *
 * With a GenServer class, `remoteChild(Cls, { node, args })` asks for the class's
 * name and types `args` (init's argument) from the class.
 *
 * @example
 * bob.registerSpawnable('cache', Cache);          // on bob
 * startSupervisor(alice.node, { children: [remoteChild({ id: 'cache', node: 'bob@127.0.0.1', spawnable: 'cache' })] });
 * bob.registerSpawnable(Counter);                 // under 'Counter'
 * startSupervisor(alice.node, { children: [remoteChild(Counter, { node: 'bob@127.0.0.1', args: 0 })] });
 */
export function remoteChild<S extends GenServer<any>>(cls: new () => S, spec: RemoteClassChildSpec<S>): ChildSpec;
export function remoteChild(spec: RemoteChildSpec): ChildSpec;
export function remoteChild(specOrClass: RemoteChildSpec | (new () => GenServer<any>), classSpec?: RemoteClassChildSpec<GenServer<any>>): ChildSpec {
  let spec: RemoteChildSpec;
  if (typeof specOrClass === 'function') {
    const cls = checkServerClass(specOrClass, 'remoteChild');
    if (typeof classSpec !== 'object' || classSpec === null) throw new BadArgError(`remoteChild(${cls.name}): expected { node, args? }`, classSpec);
    const { args, ...rest } = classSpec as RemoteClassChildSpec<GenServer<any>> & { args?: unknown };
    spec = { id: cls.name, ...rest, spawnable: cls.name, args: args === undefined ? [] : [args] };
  } else {
    spec = specOrClass;
  }
  if (typeof spec !== 'object' || spec === null) throw new BadArgError('remoteChild: expected a spec object', spec);
  const { node, spawnable } = spec;
  if (typeof spawnable !== 'string' || spawnable.length === 0) throw new BadArgError(`remoteChild ${JSON.stringify(spec.id)}: spawnable must be a non-empty string`, spawnable);
  const args = spec.args ?? [];
  if (!Array.isArray(args)) throw new BadArgError(`remoteChild ${JSON.stringify(spec.id)}: args must be an array`, args);
  const out: ChildSpec = {
    id: spec.id,
    node,
    // Not spawnLinkRemote: a node that cannot be reached fails the start (SpawnError noconnection) rather than giving a stand-in.
    start: (parent: ProcessContext): Promise<Pid | 'ignore'> =>
      requireDist(parent.node, 'remoteChild')
        .spawns.request(parent.self, node, spawnable, args, { link: true, monitor: false })
        .then(
          (r) => r.pid,
          (e: unknown) => {
            if (e instanceof SpawnError && e.reason === 'ignore') return 'ignore';
            throw e;
          },
        ),
  };
  if (spec.restart !== undefined) out.restart = spec.restart;
  if (spec.shutdown !== undefined) out.shutdown = spec.shutdown;
  if (spec.type !== undefined) out.type = spec.type;
  if (spec.significant !== undefined) out.significant = spec.significant;
  return out;
}

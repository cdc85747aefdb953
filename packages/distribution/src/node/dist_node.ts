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
import { attachRouter, BadArgError, describe, getLogger, Node, type NodeInbound, type ChildSpec, type ChildType, type NodeOptions, type Pid, type ProcessContext, type Ref, type RestartType, type Shutdown } from '@grove/core';
import { DistRouter } from './dist_router';
import { DistNodeError, SpawnError } from '../errors';
import { messageCopier } from '../wire/message_copier';
import { kernelOf, type MonitorNodesOptions, type NetKernel, type NodeMonitors } from './net_kernel';
import { KERNEL_SUP, startKernelSup } from './kernel_sup';
import { describeSafely } from './bad_request';
import { isNodeName } from './node_name';
import { SpawnService, type Spawnable } from './remote_spawn';
import { memoryTransport } from '../transport/memory_transport';
import type { NodeTransport, TransportStart } from '../transport/transport';
import { tcpTransport } from '../transport/tcp_transport';
import type { TlsOptions } from '../transport/tcp';

const log = getLogger('dist');

/** Default net tick time, as OTP: 60 s (a silent peer is dropped within it). */
export const DEFAULT_NET_TICK_TIME_MS = 60_000;

/** Options of {@link startDistributed}. */
export interface DistOptions {
  /** The node's name, `alive@host` (e.g. `alice@127.0.0.1`). */
  name: string;
  /** The shared secret. Default: `GROVE_COOKIE`, else `~/.grove.cookie` (see resolveCookie). */
  cookie?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** The port mapper's port. Default GROVE_EPMD_PORT, ERL_EPMD_PORT, else 4369. */
  epmdPort?: number;
  /** Connect with TLS, verifying both ends' certificates. */
  tls?: TlsOptions;
  /** A hidden node: not in other nodes' `nodes()`, never part of the transitive mesh. */
  hidden?: boolean;
  /** Net tick time: a peer silent this long is disconnected (`net_tick_timeout`). Default 60,000 ms. */
  netTickTimeMs?: number;
  /** Connect to the nodes a new peer knows (a full mesh). Default true. */
  connectAll?: boolean;
  /** Connect on first send, link, monitor or spawn. Default true. */
  autoConnect?: boolean;
  /** Largest frame accepted from a peer. Default 64 MiB. */
  maxFrameBytes?: number;
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

const distNodes = new WeakMap<Node, DistNode>();

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

  /** Closes the connection to `peer` (OTP `disconnect_node`); false when there was none. */
  disconnect(peer: string): boolean {
    return this.kernel.disconnect(peer);
  }

  /** `pong` when `peer` answers, else `pang` (OTP `net_adm:ping`). */
  ping(peer: string, timeoutMs?: number): Promise<'pong' | 'pang'> {
    return this.kernel.ping(peer, timeoutMs);
  }

  /** Connected nodes: `visible` (default), `hidden`, or `connected` (both). */
  nodes(kind: 'visible' | 'hidden' | 'connected' = 'visible'): string[] {
    return this.kernel.nodes(kind);
  }

  /** Sends `pid` nodeup/nodedown messages (on), or stops (off). */
  monitorNodes(pid: Pid, on = true, options?: MonitorNodesOptions): void {
    this.kernel.monitorNodes(pid, on, options);
  }

  /** Lets peers spawn `spawnable` (a process body `(ctx, ...args)`, or a GenServer class) by `name`. */
  registerSpawnable(name: string, spawnable: Spawnable): void {
    this.spawns.register(name, spawnable);
  }

  /** Stops peers from spawning `name`. */
  unregisterSpawnable(name: string): boolean {
    return this.spawns.unregister(name);
  }

  /** Spawns `name(args)` on `peer` from outside any process (no link). */
  async spawn(peer: string, name: string, args: readonly unknown[] = []): Promise<Pid> {
    return (await this.spawns.request(this.router.inbound.root.self, peer, name, args, { link: false, monitor: false })).pid;
  }

  /** @internal stops the node when the kernel supervisor `sup` terminates (it gave up: its children kept dying), as OTP's node halts. */
  watchKernel(sup: Pid): void {
    this.unwatchKernel = this.node.onExit((pid, reason) => {
      if (!pid.equals(sup)) return;
      this.unwatchKernel();
      log.error(`${this.name}: ${KERNEL_SUP} terminated (${describeSafely(reason)}): the node stops`);
      void this.stop();
    });
  }

  /** Closes every connection, unregisters from the port mapper, stops listening, and halts the node. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.unwatchKernel();
      this.kernel.stop();
      this.router.inbound.detach();
      this.node.halt();
      await this.transport.close();
    })();
    return this.stopping;
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
  if (!isNodeName(options.name)) throw new BadArgError(`startDistributed: name must be a node name like alice@127.0.0.1, got ${String(options.name)}`, options.name);
  const netTickTimeMs = options.netTickTimeMs ?? DEFAULT_NET_TICK_TIME_MS;
  if (!(typeof netTickTimeMs === 'number' && Number.isFinite(netTickTimeMs) && netTickTimeMs >= 4)) {
    throw new BadArgError(`startDistributed: netTickTimeMs must be a number >= 4, got ${String(netTickTimeMs)}`, netTickTimeMs);
  }
  const start: TransportStart = options.transport === 'memory' ? memoryTransport : tcpTransport;
  let dist: DistNode | null = null;
  const transport = await start(options, {
    admit: (peer) => dist?.kernel.admit(peer) ?? 'nok',
    accepted: (channel) => (dist !== null ? dist.kernel.accepted(channel) : channel.close('not_allowed')),
  });
  const node = new Node({ ...options.nodeOptions, name: options.name, creation: transport.creation });
  let router!: DistRouter;
  const inbound = attachRouter(node, (inb) => (router = new DistRouter(node, inb)));
  inbounds.set(node, inbound);
  if (node.checkMessages) inbound.setMessageCopier(messageCopier(node));
  const spawns = new SpawnService(node, router);
  let sup: Pid;
  try {
    // The services every node runs, as OTP's kernel does: net_kernel, global_name_server and rex.
    sup = await startKernelSup(node, {
      router,
      monitors: new Map() satisfies NodeMonitors,
      options: {
        hidden: options.hidden === true,
        netTickTimeMs,
        connectAll: options.connectAll ?? true,
        autoConnect: options.autoConnect ?? true,
        setupTimeoutMs: options.connectTimeoutMs ?? 7000,
        dial: (peer) => transport.dial(peer, { name: node.name, creation: node.creation }),
      },
    });
  } catch (e) {
    kernelOf(node)?.stop();
    node.halt();
    await transport.close();
    throw e;
  }
  // Only now does the transport admit peers: every service they may talk to runs.
  const d = (dist = new DistNode(node, router, spawns, transport));
  distNodes.set(node, d);
  router.membership = d;
  d.watchKernel(sup);
  return d;
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
  throw new BadArgError(`${what}: expected a process context, a Node or a DistNode, got ${describe(from)}`, from);
}

/** `node` and the visible nodes it is connected to (OTP `[node() | nodes()]`). @internal */
export function knownNodes(node: Node): string[] {
  return [node.name, ...(distOf(node)?.nodes('visible') ?? [])];
}

/** Spawns the spawnable `name` on `peer` with `args` (OTP `spawn(Node, ...)`); resolves with its pid. */
export async function spawnRemote(from: ProcessContext | Node, peer: string, name: string, args: readonly unknown[] = []): Promise<Pid> {
  const caller = callerOf(from, 'spawnRemote');
  const d = requireDist(caller.node, 'spawnRemote');
  return (await d.spawns.request(caller.self, peer, name, args, { link: false, monitor: false })).pid;
}

/** Spawns on `peer` linked to the calling process (OTP `spawn_link(Node, ...)`). */
export async function spawnLinkRemote(ctx: ProcessContext, peer: string, name: string, args: readonly unknown[] = []): Promise<Pid> {
  const d = requireDist(ctx.node, 'spawnLinkRemote');
  return (await d.spawns.request(ctx.self, peer, name, args, { link: true, monitor: false })).pid;
}

/** Spawns on `peer` monitored by the calling process (OTP `spawn_monitor(Node, ...)`). */
export async function spawnMonitorRemote(ctx: ProcessContext, peer: string, name: string, args: readonly unknown[] = []): Promise<[Pid, Ref]> {
  const d = requireDist(ctx.node, 'spawnMonitorRemote');
  const r = await d.spawns.request(ctx.self, peer, name, args, { link: false, monitor: true });
  return [r.pid, r.ref!];
}

/** Subscribes the calling process to nodeup/nodedown messages (OTP `net_kernel:monitor_nodes`). */
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
 * A supervisor child spec whose child runs on `spec.node`. Its `start` spawn_links
 * the registered spawnable there (SPAWN_REQUEST with the link flag, so the link
 * exists before the child can run or die; a GenServer is answered after its `init`)
 * and resolves with the remote pid. From then on the supervisor's links, monitors
 * and exit signals reach the child through the router, so restarts, shutdowns
 * (`shutdown`, then `kill` after the timeout) and `noconnection` (the child's node
 * was lost: an abnormal exit, so a permanent child is restarted, which fails while
 * the node stays unreachable and escalates as OTP would) work as for a local child.
 *
 * @example
 * bob.registerSpawnable('cache', Cache);          // on bob
 * startSupervisor(alice.node, { children: [remoteChild({ id: 'cache', node: 'bob@127.0.0.1', spawnable: 'cache' })] });
 */
export function remoteChild(spec: RemoteChildSpec): ChildSpec {
  if (typeof spec !== 'object' || spec === null) throw new BadArgError('remoteChild: expected a spec object', spec);
  const { node, spawnable } = spec;
  if (typeof spawnable !== 'string' || spawnable.length === 0) throw new BadArgError(`remoteChild ${JSON.stringify(spec.id)}: spawnable must be a non-empty string`, spawnable);
  const args = spec.args ?? [];
  if (!Array.isArray(args)) throw new BadArgError(`remoteChild ${JSON.stringify(spec.id)}: args must be an array`, args);
  const out: ChildSpec = {
    id: spec.id,
    node,
    start: (parent: ProcessContext): Promise<Pid | 'ignore'> =>
      spawnLinkRemote(parent, node, spawnable, args).catch((e: unknown) => {
        if (e instanceof SpawnError && e.reason === 'ignore') return 'ignore';
        throw e;
      }),
  };
  if (spec.restart !== undefined) out.restart = spec.restart;
  if (spec.shutdown !== undefined) out.shutdown = spec.shutdown;
  if (spec.type !== undefined) out.type = spec.type;
  if (spec.significant !== undefined) out.significant = spec.significant;
  return out;
}

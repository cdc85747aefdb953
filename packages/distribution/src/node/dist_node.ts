/**
 * A distributed node: a @grove/core `Node` with a name, plus everything that makes
 * it reachable (OTP's `net_kernel:start`): the router plugged into the node, the net
 * kernel, the spawn service, and a transport — TCP or TLS sockets registered with
 * the port mapper, or (for tests) an in-memory transport between nodes of one OS
 * process.
 *
 * `startDistributed` resolves once the node listens and is registered; `stop`
 * closes every connection (peers see `nodedown`), unregisters, and halts the node.
 * The functions after it are what processes call: spawn on another node (the
 * protocol is `remote_spawn.ts`), node monitors, `nodes()`, and `remoteChild`, a
 * supervisor child on another node.
 */
import { attachRouter, BadArgError, describe, GenServer, Node, ServerRef, type NodeInbound, type ChildSpec, type ChildType, type NodeOptions, type Pid, type ProcessContext, type Ref, type RestartType, type Shutdown } from '@grove/core';
import { DistRouter } from './dist_router';
import { DistNodeError, SpawnError } from '../errors';
import { messageCopier } from '../wire/message_copier';
import { startNetKernel, type MonitorNodesOptions, type NetKernel } from './net_kernel';
import { startGlobal } from '../global/name_server';
import { startRex } from '../rpc/rex';
import { isNodeName } from './node_name';
import { SpawnService, type Spawnable, type SpawnStarter } from './remote_spawn';
import { memoryTransport } from '../transport/memory_transport';
import type { NodeTransport, TransportStart } from '../transport/transport';
import { tcpTransport } from '../transport/tcp_transport';
import type { TlsOptions } from '../transport/tcp';

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

  /** @internal use {@link startDistributed}. */
  constructor(
    /** The runtime node: spawn processes on it. */
    readonly node: Node,
    /** @internal */
    readonly router: DistRouter,
    /** @internal */
    readonly kernel: NetKernel,
    /** @internal */
    readonly spawns: SpawnService,
    private readonly transport: NodeTransport,
  ) {}

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

  /**
   * Lets peers spawn `spawnable` (a process body `(ctx, ...args)`, or a GenServer
   * class) by `name`; a class alone is registered under its own name, which is what
   * `spawnRemote(ctx, node, Cls, arg)` and `remoteChild(Cls, ...)` ask for.
   */
  registerSpawnable(cls: SpawnStarter & { readonly name: string }): void;
  registerSpawnable(name: string, spawnable: Spawnable): void;
  registerSpawnable(nameOrClass: string | (SpawnStarter & { readonly name: string }), spawnable?: Spawnable): void {
    if (typeof nameOrClass === 'function' && spawnable === undefined) {
      this.spawns.register((nameOrClass as { name: string }).name, nameOrClass);
      return;
    }
    this.spawns.register(nameOrClass as string, spawnable as Spawnable);
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
  let kernel: NetKernel | undefined;
  try {
    kernel = await startNetKernel(node, {
      router,
      options: {
        hidden: options.hidden === true,
        netTickTimeMs,
        connectAll: options.connectAll ?? true,
        autoConnect: options.autoConnect ?? true,
        setupTimeoutMs: options.connectTimeoutMs ?? 7000,
        dial: (peer) => transport.dial(peer, { name: node.name, creation: node.creation }),
      },
    });
    // Kernel services every node runs, as OTP's kernel does: global_name_server and rex.
    await startGlobal(node, kernel);
    await startRex(node);
  } catch (e) {
    kernel?.stop();
    node.halt();
    await transport.close();
    throw e;
  }
  // Only now does the transport admit peers: every service they may talk to runs.
  dist = new DistNode(node, router, kernel, spawns, transport);
  distNodes.set(node, dist);
  router.membership = dist;
  return dist;
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
  if (typeof cls !== 'function' || !(cls.prototype instanceof GenServer)) throw new BadArgError(`${what}: expected a GenServer class or a spawnable's name, got ${describe(cls)}`, cls);
  return cls;
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

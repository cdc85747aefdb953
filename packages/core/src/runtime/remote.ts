/**
 * The seam between the runtime and the distribution layer: the one door between core
 * and @grove/distribution, declared in both directions.
 *
 * - {@link RemoteRouter} (core → distribution): when a pid or a `[name, node]`
 *   destination lives on another node, the runtime hands the operation to the node's
 *   router. With no router attached the other node is unreachable: sends are dropped
 *   (as Erlang drops sends to a node it cannot reach), links and monitors fire at once
 *   with `noconnection`.
 * - {@link NodeInbound} (distribution → core): what core hands to the router when it
 *   attaches ({@link attachRouter}): how messages, links, exit signals and monitors
 *   from other nodes enter this one. It is the only way in: nothing else of core's
 *   internals is reachable from outside the package.
 *
 * Core never imports @grove/distribution. The ERTS counterpart is the set of
 * `dist_ctrl_*` and signal-delivery functions the emulator offers `net_kernel` and the
 * distribution controllers.
 */
import { BadArgError } from '../errors';
import { replyByTag } from '../gen';
import type { ProcessContext } from './context';
import type { ExitReason } from './exit';
import { Monitor, RemoteWatch } from './monitor';
import { inTurn } from './signals';
import type { Node } from './node';
import { Pid } from './pid';
import type { Ref } from './ref';

/** A registered name on a given node: Erlang's `{Name, Node}`. */
export type RemoteName = readonly [name: string, node: string];

/**
 * Which nodes this node is connected to, and nodeup/nodedown messages on change (OTP's
 * `nodes()` and `net_kernel:monitor_nodes`). Provided by the attached router; read
 * with {@link membershipOf}.
 */
export interface Membership {
  /** The other nodes this node is connected to now (visible ones; not itself). */
  nodes(): readonly string[];
  /**
   * Starts (`on`) or stops sending `{ type: 'nodeup' | 'nodedown', node }` messages to
   * the local process `pid`; a subscriber that exits is forgotten.
   */
  monitorNodes(pid: Pid, on: boolean): void;
}

/** What core asks of the distribution layer (core → distribution). */
export interface RemoteRouter {
  /** A message to a pid on another node. */
  send(from: Pid | undefined, to: Pid, msg: unknown): void;
  /** A message to a name registered on another node. */
  sendNamed(from: Pid | undefined, to: RemoteName, msg: unknown): void;
  /** A reply to a `call` made from another node. */
  reply(to: Pid, tag: number, value: unknown): void;
  /** `from` (local) links to `to` (remote). */
  link(from: Pid, to: Pid): void;
  /** `from` (local) unlinks from `to` (remote). */
  unlink(from: Pid, to: Pid): void;
  /** An exit signal to a remote process: a dying linked process (`link`), or `exit/2`. */
  exit(from: Pid, to: Pid, reason: ExitReason, link: boolean): void;
  /** `watcher` (local) monitors `target` (remote), tagged `ref`. */
  monitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void;
  /** Removes that monitor. */
  demonitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void;
  /** A local process that `watcher` (remote) monitored is gone. */
  down(watcher: Pid, ref: Ref, target: Pid | RemoteName, reason: ExitReason): void;
  /** The cluster as this router sees it, once it knows (see {@link membershipOf}). */
  readonly membership?: Membership | undefined;
}

/** What the distribution layer may do to this node (distribution → core); see {@link attachRouter}. */
export interface NodeInbound {
  /**
   * The node's own process: it acts for requests and signals made from outside any
   * process (a node-level `spawnRemote` or `rpcCall`, a lock held by the node).
   */
  readonly root: ProcessContext;
  /** A live local process, for an operation the router makes on its behalf (a spawn request's link or monitor). */
  contextOf(pid: Pid): ProcessContext | undefined;
  /** A message from another node to a local pid (dropped when it is gone). */
  deliver(to: Pid, msg: unknown): void;
  /** A message from another node to a local name (dropped when unknown). */
  deliverNamed(name: string, msg: unknown): void;
  /** A call reply from another node to the local caller `to`. */
  reply(to: Pid, tag: number, value: unknown): void;
  /** The remote process `from` links to the local `to`; a dead `to` answers with exit `noproc`. */
  link(from: Pid, to: Pid): void;
  /** The remote process `from` unlinks from the local `to`. */
  unlink(from: Pid, to: Pid): void;
  /** An exit signal from the remote `from` to the local `to` (a link exit, or `exit/2`). */
  exit(from: Pid, to: Pid, reason: ExitReason, link: boolean): void;
  /** The remote `watcher` monitors the local `target`; a missing target answers DOWN `noproc`. */
  monitor(watcher: Pid, target: Pid | string, ref: Ref): void;
  /** The remote watcher of `ref` removed its monitor of the local `target`. */
  demonitor(target: Pid | string, ref: Ref): void;
  /**
   * The other node already made this monitor (spawn_monitor's request carried the
   * ref): records the local watcher's side only. False when `watcher` is gone.
   */
  monitorMade(watcher: Pid, target: Pid, ref: Ref): boolean;
  /** The remote process the local `watcher` monitored with `ref` is gone (or unreachable). */
  down(watcher: Pid, ref: Ref, reason: ExitReason): void;
  /**
   * Replaces `checkMessages`' check-only pass with a full copy (a wire round trip), so
   * local messages behave as remote ones; null restores the check.
   */
  setMessageCopier(copy: ((msg: unknown) => unknown) | null): void;
  /**
   * The local process `pid` sent on a busy connection: hold it until `until` settles
   * (a handler process takes no next message, a body's next `yield()` waits), as OTP
   * suspends a sender on a busy distribution port. Anything else is left alone.
   */
  suspend(pid: Pid, until: PromiseLike<void>): void;
  /** Detaches the router: other nodes are unreachable again. */
  detach(): void;
}

/**
 * Attaches the distribution layer to `node`: `makeRouter` gets the node's inbound
 * side and returns the router the node hands remote operations to. Throws a
 * BadArgError when a router is already attached.
 */
export function attachRouter(node: Node, makeRouter: (inbound: NodeInbound) => RemoteRouter): NodeInbound {
  if (node.router !== null) throw new BadArgError(`attachRouter: node ${node.name} already has a router attached`, node.name);
  const inbound = new Inbound(node);
  node.router = makeRouter(inbound);
  return inbound;
}

/** The cluster as the router attached to `node` sees it; null for a node that is not distributed. */
export function membershipOf(node: Node): Membership | null {
  return node.router?.membership ?? null;
}

/** The one implementation of {@link NodeInbound}. */
class Inbound implements NodeInbound {
  constructor(private readonly node: Node) {}

  get root(): ProcessContext {
    return this.node.root;
  }

  contextOf(pid: Pid): ProcessContext | undefined {
    return this.node.local(pid);
  }

  deliver(to: Pid, msg: unknown): void {
    this.node.local(to)?.post(msg);
  }

  deliverNamed(name: string, msg: unknown): void {
    this.node.named(name)?.post(msg);
  }

  reply(to: Pid, tag: number, value: unknown): void {
    replyByTag(this.node.local(to), tag, value);
  }

  link(from: Pid, to: Pid): void {
    const p = this.node.local(to);
    const refuse = (): void => this.node.router?.exit(to, from, 'noproc', true);
    if (p === undefined) refuse();
    else if (p.signals === null) (p.links ??= new Map()).set(from.key, from);
    else inTurn(p, (q) => (q.links ??= new Map()).set(from.key, from), refuse);
  }

  unlink(from: Pid, to: Pid): void {
    const p = this.node.local(to);
    if (p === undefined) return;
    if (p.signals === null) p.links?.delete(from.key);
    else inTurn(p, (q) => q.links?.delete(from.key));
  }

  exit(from: Pid, to: Pid, reason: ExitReason, link: boolean): void {
    this.node.local(to)?.exitSignal(from, reason, link);
  }

  monitor(watcher: Pid, target: Pid | string, ref: Ref): void {
    const node = this.node;
    const p = target instanceof Pid ? node.local(target) : node.named(target);
    const spec: Pid | RemoteName = target instanceof Pid ? target : [target, node.name];
    const refuse = (): void => node.router?.down(watcher, ref, spec, 'noproc');
    const watch = new RemoteWatch(watcher, ref, spec);
    if (p === undefined) refuse();
    else if (p.signals === null) (p.monitoredBy ??= new Map()).set(ref.key, watch);
    else inTurn(p, (q) => (q.monitoredBy ??= new Map()).set(ref.key, watch), refuse);
  }

  demonitor(target: Pid | string, ref: Ref): void {
    const p = target instanceof Pid ? this.node.local(target) : this.node.named(target);
    if (p === undefined) return;
    if (p.signals === null) p.monitoredBy?.delete(ref.key);
    else inTurn(p, (q) => q.monitoredBy?.delete(ref.key));
  }

  monitorMade(watcher: Pid, target: Pid, ref: Ref): boolean {
    const p = this.node.local(watcher);
    if (p === undefined) return false;
    p.addMonitor(new Monitor(p, ref.key as number, target, null));
    return true;
  }

  down(watcher: Pid, ref: Ref, reason: ExitReason): void {
    const p = this.node.local(watcher);
    const m = p?.monitors?.get(ref.key);
    if (p === undefined || m === undefined) return;
    p.monitors!.delete(ref.key);
    m.down(reason);
  }

  setMessageCopier(copy: ((msg: unknown) => unknown) | null): void {
    this.node.messageCopier = copy;
  }

  suspend(pid: Pid, until: PromiseLike<void>): void {
    const p = this.node.local(pid);
    if (p !== undefined && !this.node.isRoot(p)) p.hold(until);
  }

  detach(): void {
    this.node.router = null;
  }
}

/**
 * The seam between the runtime and the distribution layer.
 *
 * Core never imports @grove/distribution. When a pid or a `[name, node]` destination lives on
 * another node, the runtime hands the operation to the node's `RemoteRouter`; with no
 * router installed, the other node is unreachable: sends are dropped (as Erlang drops
 * sends to a node it cannot reach), links and monitors fire at once with
 * `noconnection`. Inbound traffic comes back through {@link RemoteInbound}, which
 * the `Node` implements.
 */
import type { ExitReason } from './exit';
import type { Pid } from './pid';
import type { Ref } from './ref';

/** A registered name on a given node: Erlang's `{Name, Node}`. */
export type RemoteName = readonly [name: string, node: string];

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
}

/**
 * What the distribution layer calls on a node for traffic from other nodes (the
 * `Node` implements it). @internal
 */
export interface RemoteInbound {
  /** A message from another node to a local pid. */
  deliverFromRemote(to: Pid, msg: unknown): void;
  /** A message from another node to a local name (dropped when unknown). */
  deliverNamedFromRemote(name: string, msg: unknown): void;
  /** A call reply from another node. */
  deliverReply(to: Pid, tag: number, value: unknown): void;
  /** A remote process links to a local one. */
  remoteLink(from: Pid, to: Pid): void;
  remoteUnlink(from: Pid, to: Pid): void;
  /** An exit signal from a remote process (a link exit, or exit/2). */
  remoteExit(from: Pid, to: Pid, reason: ExitReason, link: boolean): void;
  /** A remote process monitors a local pid or name. */
  remoteMonitor(watcher: Pid, target: Pid | string, ref: Ref): void;
  remoteDemonitor(target: Pid | string, ref: Ref): void;
  /** The other node already made this monitor (spawn_monitor): record the watcher's side; false when it is gone. */
  remoteMonitorMade(watcher: Pid, target: Pid, refId: number): boolean;
  /** A remote process that a local one monitored is gone (or unreachable). */
  remoteDown(watcher: Pid, ref: Ref, reason: ExitReason): void;
}

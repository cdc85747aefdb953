/**
 * The seam between the runtime and the distribution layer.
 *
 * Core never imports @grove/distribution. When a pid or a `[name, node]` destination lives on
 * another node, the runtime hands the operation to the node's `RemoteRouter`; with no
 * router installed, the other node is unreachable: sends are dropped (as Erlang drops
 * sends to a node it cannot reach), links and monitors fire at once with
 * `noconnection`. Inbound traffic comes back through the `Node` methods marked
 * "called by the remote router".
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

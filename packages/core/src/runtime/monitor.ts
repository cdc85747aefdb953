/**
 * Monitors: one-way death notifications.
 *
 * One `Monitor` object records a monitor and sits in both the watcher's `monitors`
 * and (when local) the target's `monitoredBy`, keyed by the ref's key. A pending
 * `call` is a monitor too (see gen.ts): its `down` fails the call instead of queueing
 * a DOWN message, and the reply finds it by the same key. Refs are made lazily: a
 * local call never allocates one.
 */
import type { DownMessage, ExitReason } from './exit';
import type { Pid } from './pid';
import type { Process } from './process';
import { Ref } from './ref';
import type { RemoteName } from './remote';

export class Monitor {
  private _ref: Ref | undefined = undefined;

  constructor(
    /** The monitoring process, when it is on this node. */
    readonly watcher: Process,
    /** Numeric id of the ref, unique on this node. */
    readonly refId: number,
    /** What is monitored (set by the node when the monitor is made). */
    public target: Pid | RemoteName,
    /** The target process when local and alive at monitor time. */
    public targetProc: Process | null,
  ) {}

  get ref(): Ref {
    const node = this.watcher.node;
    return (this._ref ??= new Ref(node.name, node.creation, this.refId, true));
  }

  /** The target is gone: queue the DOWN message. Overridden by pending calls. */
  down(reason: ExitReason): void {
    const msg: DownMessage = { type: 'DOWN', ref: this.ref, pid: this.target, reason };
    this.watcher.deliver(msg);
  }
}

/**
 * A remote process monitors a local one: the monitoredBy entry that sends the DOWN
 * back through the router. @internal
 */
export class RemoteWatch {
  constructor(
    readonly watcher: Pid,
    readonly ref: Ref,
    readonly target: Pid | RemoteName,
  ) {}
}

/** What a process's `monitoredBy` holds. @internal */
export type Watch = Monitor | RemoteWatch;

/**
 * A local pending call, kept in its server's intrusive list (`Process.callers`) so
 * that a call costs no map operations: the server's death walks the list. @internal
 */
export interface CallerLink {
  prevCaller: CallerLink | null;
  nextCaller: CallerLink | null;
  /** The server died before replying. */
  serverDown(reason: ExitReason): void;
}

/** Puts `link` first in `server`'s list of waiting callers. @internal */
export function joinCallers(server: Process, link: CallerLink): void {
  const head = server.callers;
  link.nextCaller = head;
  if (head !== null) head.prevCaller = link;
  server.callers = link;
}

/** Takes `link` out of `server`'s list of waiting callers. @internal */
export function leaveCallers(server: Process, link: CallerLink): void {
  const prev = link.prevCaller;
  const next = link.nextCaller;
  if (prev !== null) prev.nextCaller = next;
  else server.callers = next;
  if (next !== null) next.prevCaller = prev;
  link.prevCaller = link.nextCaller = null;
}

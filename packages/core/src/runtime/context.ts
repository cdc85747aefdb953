/**
 * The process context: what a process body or handler uses to act as a process.
 *
 * It is passed explicitly to every process function, so code stays correct after an
 * `await` without any ambient "current process".
 */
import type { ExitReason } from './exit';
import type { Node } from './node';
import type { Pid } from './pid';
import type { Ref } from './ref';
import type { MailboxOptions } from './mailbox_bound';
import type { Dest } from './registry';

/** Returned by `receive` when its timeout passed with no matching message (Erlang's `after`). */
export const TIMEOUT: unique symbol = Symbol('grove.timeout');
/** Type of {@link TIMEOUT}. */
export type Timeout = typeof TIMEOUT;

/** Milliseconds, or `'infinity'`. */
export type TimeoutMs = number | 'infinity';

/** A process body: runs once; the process exits `normal` when it returns, with the error when it throws. */
export type ProcessBody<T = unknown> = (ctx: ProcessContext) => T | Promise<T>;

/** A message handler for {@link Node.spawnLoop}: called once per message, in order. */
export type MessageHandler = (msg: unknown, ctx: ProcessContext) => void | PromiseLike<void>;

/** Options for spawning. */
export interface SpawnOptions {
  /** Link the new process to the spawner (spawn_link). */
  link?: boolean;
  /** Register the new process under this local name before it runs. */
  name?: string;
  /** Start with trap_exit on. */
  trapExit?: boolean;
  /** A label shown by introspection (`behaviour`). */
  label?: string;
  /**
   * Bound the mailbox: at most `max` queued messages, and what a message sent past
   * that does (`overflow`). Default: unbounded, as OTP. See the README's "Bounded mailboxes".
   */
  mailbox?: MailboxOptions;
}

export interface ProcessContext {
  /** This process's pid. */
  readonly self: Pid;
  /** The node the process runs on. */
  readonly node: Node;
  /**
   * Sends `msg` to `dest`. A bare local name that nobody holds throws NoProcError; a
   * `[name, node]` pair with an unknown name (on this node or another) and a dead pid
   * drop the message silently, as in Erlang.
   */
  send(dest: Dest, msg: unknown): void;
  /**
   * Takes the oldest message that `match` accepts (any message without one),
   * leaving the others in order. With `timeoutMs`, resolves to {@link TIMEOUT} when
   * nothing matched in time (0 = poll).
   */
  receive<T = unknown>(match?: (msg: unknown) => msg is T): Promise<T>;
  receive<T = unknown>(match: ((msg: unknown) => msg is T) | undefined, timeoutMs: TimeoutMs): Promise<T | Timeout>;
  receive(match?: (msg: unknown) => boolean, timeoutMs?: TimeoutMs): Promise<unknown>;
  /** Links to `pid` (bidirectional). Throws NoProcError for a dead local pid unless trapping exits. */
  link(pid: Pid): void;
  /** Removes the link to `pid`. */
  unlink(pid: Pid): void;
  /** Monitors `target`; a DOWN message with the returned ref follows its exit. */
  monitor(target: Pid | string | readonly [string, string]): Ref;
  /** Removes a monitor; with `flush`, also removes its DOWN message if already queued. */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean;
  /** Sets trap_exit and returns the previous value. */
  trapExit(on: boolean): boolean;
  /** Raises an exit: the process ends with `reason` unless the exception is caught (Erlang `exit/1`). */
  exit(reason: ExitReason): never;
  /**
   * Sends an exit signal to `pid` (Erlang `exit/2`). It acts at the target's next run;
   * what this process sends the target afterwards (messages, links, monitors) arrives
   * after it, as in OTP.
   */
  exit(pid: Pid, reason: ExitReason): void;
  /** Spawns a process. */
  spawn(body: ProcessBody, options?: SpawnOptions): Pid;
  /** Spawns and links. */
  spawnLink(body: ProcessBody, options?: SpawnOptions): Pid;
  /** Spawns and monitors. */
  spawnMonitor(body: ProcessBody, options?: SpawnOptions): [Pid, Ref];
  /** Registers this process under a local name. */
  register(name: string): void;
  /** Sends `msg` to `dest` after `ms`; the timer dies with this process. */
  sendAfter(dest: Dest, msg: unknown, ms: number): Ref;
  /** Cancels a timer; the milliseconds it had left, or false if it already fired or was cancelled. */
  cancelTimer(ref: Ref): number | false;
  /**
   * Lets other processes run (Erlang `erlang:yield/0`). A body process that loops
   * without awaiting a receive should await this now and then: it resumes after the
   * processes already waiting, and after pending I/O once the scheduler's turn is over
   * its budget.
   */
  yield(): Promise<void>;
  /** Messages waiting in the mailbox. */
  readonly mailboxLength: number;
  /**
   * Aborted when this process dies, with its exit reason as `signal.reason`. Pass it to
   * what the process awaits besides Grove (`fetch`, `timers/promises`' `setTimeout`,
   * `events.once`, streams, sockets), so that a killed process's pending I/O and timers
   * end with it and its code does not run on after its death. Still readable after
   * death (then already aborted). Made on first use: a process that never reads it
   * costs nothing.
   */
  readonly signal: AbortSignal;
}

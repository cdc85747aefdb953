/**
 * Exit reasons and the messages a process receives about other processes.
 *
 * Reasons are OTP's atoms as strings (`'normal'`, `'shutdown'`, `'kill'`, `'killed'`,
 * `'noproc'`, `'noconnection'`), `{ shutdown: x }` for a shutdown with a detail, an
 * `Error` for a crash (with its stack), or any other copyable term.
 */
import type { Pid } from './pid';
import type { Ref } from './ref';

/** `{shutdown, Detail}`: a clean shutdown that carries a reason. */
export interface ShutdownWith {
  readonly shutdown: unknown;
}

/**
 * `{nocatch, Value}`: the reason of a process whose code threw `nocatch`, a value that
 * is not an `Error`. Always abnormal, whatever the value: `throw 'normal'` is a crash,
 * `ctx.exit('normal')` a normal exit.
 */
export interface NoCatch {
  readonly nocatch: unknown;
}

/** Why a process exited. Any copyable term is allowed; these are the ones the runtime knows. */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | 'kill'
  | 'killed'
  | 'noproc'
  | 'noconnection'
  | ShutdownWith
  | NoCatch
  | Error
  // Any other copyable term: OTP allows any term as a reason.
  | unknown;

/** Message a trapping process gets for an exit signal: Erlang's `{'EXIT', From, Reason}`. */
export interface ExitMessage {
  readonly type: 'EXIT';
  readonly from: Pid;
  readonly reason: ExitReason;
}

/** Monitor notification: Erlang's `{'DOWN', Ref, process, Pid, Reason}`. */
export interface DownMessage {
  readonly type: 'DOWN';
  readonly ref: Ref;
  /** The monitored pid, or `[name, node]` when a name was monitored. */
  readonly pid: Pid | readonly [name: string, node: string];
  readonly reason: ExitReason;
}

/**
 * The exit reason for a value thrown out of a process's code (or a promise it
 * rejected with): an `Error` as it is, any other value `{ nocatch: value }`, so that a
 * throw is always a crash (`ctx.exit(reason)` is how to end with a reason). @internal
 */
export function thrownReason(e: unknown): ExitReason {
  return e instanceof Error ? e : { nocatch: e };
}

/** `normal`, `shutdown` or `{shutdown, _}`: exits that supervisors and loggers treat as clean. */
export function isCleanExit(reason: unknown): boolean {
  return reason === 'normal' || reason === 'shutdown' || isShutdownWith(reason);
}

/** True for `{ shutdown: x }`. */
export function isShutdownWith(reason: unknown): reason is ShutdownWith {
  return typeof reason === 'object' && reason !== null && !(reason instanceof Error) && 'shutdown' in reason && Object.keys(reason).length === 1;
}

/** True for an {@link ExitMessage}. */
export function isExitMessage(msg: unknown): msg is ExitMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'EXIT' && 'from' in msg;
}

/** True for a {@link DownMessage}, optionally only the one for `ref`. */
export function isDownMessage(msg: unknown, ref?: Ref): msg is DownMessage {
  if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== 'DOWN') return false;
  return ref === undefined || ref.equals((msg as DownMessage).ref);
}

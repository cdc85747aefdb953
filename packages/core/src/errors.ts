/**
 * Every error @grove/core raises. Each has a `code` literal to switch on and a
 * message that says what happened, to whom, with which value.
 */
import { inspect } from 'node:util';
import type { Pid } from './runtime/pid';

/** Base class of Grove's errors. */
export abstract class GroveError extends Error {
  abstract readonly code: string;
  override get name(): string {
    return this.constructor.name;
  }
}

/** A send or call named a registered name that nobody holds. */
export class NoProcError extends GroveError {
  readonly code = 'noproc' as const;
  constructor(readonly target: unknown, what = 'send to') {
    super(`${what} ${formatTerm(target)}: no such process (noproc)`);
  }
}

/**
 * A name is already registered to another process (`holder`), or the process
 * already has a name (`currentName`, the name it holds).
 */
export class AlreadyRegisteredError extends GroveError {
  readonly code = 'already_registered' as const;
  constructor(readonly nameOrPid: string, readonly holder: Pid, readonly currentName?: string) {
    super(
      currentName === undefined
        ? `cannot register ${JSON.stringify(nameOrPid)}: already held by ${holder}`
        : `cannot register ${JSON.stringify(nameOrPid)}: ${holder} is already registered as ${JSON.stringify(currentName)}`,
    );
  }
}

/** An argument failed validation at an API boundary (OTP's badarg). */
export class BadArgError extends GroveError {
  readonly code = 'badarg' as const;
  constructor(message: string, readonly value?: unknown) {
    super(message);
  }
}

/** A message cannot be carried between nodes (function, unregistered class, cycle...). */
export class NotCopyableError extends GroveError {
  readonly code = 'not_copyable' as const;
  constructor(readonly path: string, readonly detail: string) {
    super(`message is not copyable at ${path}: ${detail}`);
  }
}

/** Thrown inside a process body that keeps running after its process exited. */
export class ProcessExitedError extends GroveError {
  readonly code = 'process_exited' as const;
  constructor(readonly pid: Pid, readonly reason: unknown) {
    super(`${pid} has exited (${formatTerm(reason)}); its context can no longer be used`);
  }
}

/** The longest {@link formatTerm} output, before its ellipsis. */
const DESCRIBE_MAX = 200;

const INSPECT_OPTIONS = {
  depth: 4,
  breakLength: Infinity,
  maxArrayLength: 20,
  maxStringLength: 100,
  // Never run a term's code: a Proxy is shown as one (no trap runs), a getter is not called.
  showProxy: true,
  getters: false,
} as const;

/**
 * A short, printable description of a term for error messages and logs: a string as
 * it is, an error as `Name: message`, anything else as the shell prints a term
 * (`[ 'get', 'k' ]`, `{ type: 'is_auth' }`, `#PID<...>`, `2n`), on one line, cut after
 * 200 characters. Total: any value (from a peer, a throwing getter, a Proxy, a cycle,
 * a `toString` that is not a function) gives a string, and it never throws.
 */
export function formatTerm(value: unknown): string {
  let s: string;
  try {
    s = describeUnbounded(value);
  } catch {
    s = unprintable(value);
  }
  return s.length > DESCRIBE_MAX ? s.slice(0, DESCRIBE_MAX) + '…' : s;
}

function describeUnbounded(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) {
    const name: unknown = value.name;
    const message: unknown = value.message;
    if (typeof name === 'string' && typeof message === 'string') return `${name}: ${message}`;
  }
  return inspect(value, INSPECT_OPTIONS);
}

function unprintable(value: unknown): string {
  return `[unprintable ${typeof value}]`;
}

/** A process could not be started: `reason` is why (`{ alreadyStarted: pid }`, `'timeout'`, init's stop reason, the exit reason). */
export class StartError extends GroveError {
  readonly code = 'start_failed' as const;
  constructor(readonly reason: unknown, what: string) {
    super(`${what} failed to start: ${formatTerm(reason)}`);
  }
}

/** A `call` got no reply in time; a reply arriving later is dropped. */
export class CallTimeoutError extends GroveError {
  readonly code = 'timeout' as const;
  constructor(readonly server: unknown, readonly request: unknown, readonly timeoutMs: number) {
    super(`call to ${formatTerm(server)} timed out after ${timeoutMs} ms (request ${formatTerm(request)})`);
  }
}

/**
 * The server of a `call` exited before replying (`reason` is its exit reason), or did
 * not exist (`'noproc'`), or its node was lost or cannot be reached (`{ nodedown:
 * node }`, OTP's `{nodedown, Node}`; {@link noconnection} tells it).
 */
export class CallExitError extends GroveError {
  readonly code = 'exit' as const;
  constructor(readonly server: unknown, readonly request: unknown, readonly reason: unknown) {
    super(
      reason === 'noproc'
        ? `call to ${formatTerm(server)}: no such process (noproc); request ${formatTerm(request)}`
        : `call to ${formatTerm(server)} failed: the server exited with ${formatTerm(reason)}; request ${formatTerm(request)}`,
    );
  }

  /** True when the server did not exist. */
  get noproc(): boolean {
    return this.reason === 'noproc';
  }

  /** True when the server's node was lost or cannot be reached (`reason` is `{ nodedown: node }`). */
  get noconnection(): boolean {
    const r = this.reason;
    return typeof r === 'object' && r !== null && typeof (r as { nodedown?: unknown }).nodedown === 'string' && Object.keys(r).length === 1;
  }
}

/**
 * A process called itself (`server` is its own pid or name): it could never
 * answer, so the call fails at once (OTP exits with `calling_self`).
 */
export class CallingSelfError extends GroveError {
  readonly code = 'calling_self' as const;
  constructor(readonly server: unknown, readonly request: unknown) {
    super(`call to ${formatTerm(server)}: the process calls itself (calling_self); request ${formatTerm(request)}`);
  }
}

/**
 * A `call` was refused at once: the server's bounded mailbox is full and its
 * overflow policy is `'reject'` (see `SpawnOptions.mailbox`). The request was not queued.
 */
export class MailboxFullError extends GroveError {
  readonly code = 'mailbox_full' as const;
  constructor(readonly server: Pid, readonly max: number) {
    super(`call to ${formatTerm(server)} refused: its mailbox is full (max ${max} messages, overflow 'reject')`);
  }
}

/**
 * A child spec (or a supervisor's flags) failed validation: rejected when the
 * supervisor starts, or by `startChild`. `id` is the child's id when it had a usable
 * one, `field` the key at fault.
 */
export class ChildSpecError extends GroveError {
  readonly code = 'bad_child_spec' as const;
  constructor(readonly id: string | undefined, readonly field: string, message: string) {
    super(message);
  }
}

/** Why a supervisor refused a child operation (OTP's `{error, Reason}` of the supervisor API). */
export type SupervisorChildErrorCode =
  | 'not_found'
  | 'running'
  | 'restarting'
  | 'already_present'
  | 'already_started'
  | 'max_children'
  | 'not_supported';

/**
 * A supervisor refused `startChild`, `terminateChild`, `restartChild` or
 * `deleteChild`: no such child, child still running, id already present or started
 * (`pid` is the running child), `maxChildren` reached, or an operation a dynamic
 * supervisor does not support.
 */
export class SupervisorChildError extends GroveError {
  constructor(
    readonly code: SupervisorChildErrorCode,
    readonly supervisor: unknown,
    readonly child: unknown,
    readonly pid?: Pid,
  ) {
    super(`supervisor ${formatTerm(supervisor)}: child ${formatTerm(child)}: ${code.replace(/_/g, ' ')}${pid !== undefined ? ` (${pid})` : ''}`);
  }
}

/**
 * A GenServer has no handler for a call's request. The server goes on running
 * (a deliberate difference from OTP, which crashes it).
 */
export class UnknownCallError extends GroveError {
  readonly code = 'unknown_call' as const;
  constructor(readonly server: unknown, readonly request: unknown) {
    super(`call to ${formatTerm(server)}: no handler for request ${formatTerm(request)}`);
  }
}

/** Why an application operation failed. */
export type ApplicationErrorCode = 'already_started' | 'not_started' | 'circular_dependency' | 'start_failed' | 'bad_application';

/**
 * An application could not be started or stopped: it (or a dependency) is already
 * running or not running, the dependencies form a cycle, its `start` failed
 * (`reason` says why), or the class is not an Application.
 */
export class ApplicationError extends GroveError {
  constructor(
    readonly code: ApplicationErrorCode,
    readonly application: string,
    readonly reason?: unknown,
  ) {
    super(
      `application ${JSON.stringify(application)}: ${code.replace(/_/g, ' ')}${reason === undefined ? '' : `: ${formatTerm(reason)}`}`,
    );
  }
}

/**
 * Every error @grove/pg raises. Each has a `code` literal to switch on and a message
 * that says what happened, to which value. Errors shared with the runtime
 * (`BadArgError`, `CallExitError`, `NotCopyableError`) come from @grove/core.
 */
import { formatTerm, GroveError } from '@grove/core';

/**
 * A pid given to `join` or `leave` is not a process of this node (OTP's
 * `{nolocal, Pid}`): only local processes may join or leave, so that every membership
 * has exactly one owner, the scope of the member's own node.
 */
export class NotLocalError extends GroveError {
  readonly code = 'nolocal' as const;
  constructor(readonly value: unknown, readonly node: string) {
    super(`pg: ${formatTerm(value)} is not a process of the local node ${node} (nolocal)`);
  }
}

/**
 * A group is not a term that can cross the wire (a function, a symbol, an
 * unregistered class instance, a cycle): it could not be seen from other nodes, so
 * it is refused at the boundary. `path` locates the bad part, as in NotCopyableError.
 */
export class InvalidGroupError extends GroveError {
  readonly code = 'invalid_group' as const;
  constructor(readonly path: string, readonly detail: string) {
    super(`pg: invalid group at ${path}: ${detail}`);
  }
}

/**
 * A scope received a message it does not understand (OTP `pg` raises `badarg` and
 * crashes). The scope exits with this error as its reason, its supervisor restarts
 * it, and its peers drop its members when they see it go: nothing is corrupted.
 */
export class UnexpectedMessageError extends GroveError {
  readonly code = 'badarg' as const;
  constructor(readonly scope: string, readonly received: unknown) {
    super(`pg scope ${JSON.stringify(scope)} got an unexpected message: ${formatTerm(received)}`);
  }
}

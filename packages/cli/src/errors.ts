/**
 * Every error the `grove` command raises. Each has a `code` literal; `main` turns
 * them into a message on stderr and an exit code (2 for usage, 1 otherwise).
 */
import { GroveError, type ExitReason } from '@grove/core';

/** The names of the `grove` commands. */
export type CommandName = 'shell' | 'run' | 'ping' | 'names' | 'certs' | 'new' | 'top' | 'observer';

/**
 * The command line is wrong: an unknown command or option, a missing or malformed
 * value, options that cannot go together. `command` says which command's help to
 * point at.
 */
export class UsageError extends GroveError {
  readonly code = 'usage' as const;
  constructor(message: string, readonly command?: CommandName) {
    super(message);
  }
}

/**
 * `grove run FILE` could not load FILE or found nothing to run in it (no exported
 * Application class and no `main(node, args)` function).
 */
export class RunModuleError extends GroveError {
  readonly code = 'run_module' as const;
  constructor(readonly file: string, readonly detail: string, options?: { cause?: unknown }) {
    super(`cannot run ${file}: ${detail}`, options);
  }
}

/** `grove new` cannot write the project: DIR is not empty, or its name cannot name a package. */
export class NewProjectError extends GroveError {
  readonly code = 'new_project' as const;
}

/** `grove certs` cannot make what it was asked: a file is in the way, or the CA there cannot sign. */
export class CertsError extends GroveError {
  readonly code = 'certs' as const;
}

/**
 * The line the shell was evaluating was interrupted (Ctrl-C on a terminal). The shell
 * process lives on, with its mailbox, links, monitors and names.
 */
export class ShellInterruptError extends GroveError {
  readonly code = 'shell_interrupt' as const;
}

/**
 * The shell process died while it evaluated an expression (a linked process
 * crashed, or it was killed); a new shell process has taken over.
 */
export class ShellExitError extends GroveError {
  readonly code = 'shell_exit' as const;
  constructor(message: string, readonly reason?: ExitReason) {
    super(message);
  }
}

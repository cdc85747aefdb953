/**
 * What GenServer callbacks return besides a plain reply — `noReply()`, `ignore()`,
 * `stopWith(...)`, `continueWith(...)` — and the two system messages the engine and
 * the client exchange (a stop request, the answer to an unknown call).
 */
import type { ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import { registerClass } from '../runtime/term';
import { ErrorReply } from '../gen';
import { UnknownCallError } from '../errors';

/** Type of {@link NO_REPLY} (an object brand: unlike a unique symbol, it survives return type inference). */
export interface NoReply {
  readonly '~noReply': true;
}
/** Returned by a call handler that will reply later with `reply(from, value)`. */
export const NO_REPLY: NoReply = Object.freeze({ '~noReply': true } as const);

/** Type of {@link IGNORE}. */
export interface Ignore {
  readonly '~ignore': true;
}
/** Returned by `init` to not start the server: `start` resolves with `'ignore'`. */
export const IGNORE: Ignore = Object.freeze({ '~ignore': true } as const);

/**
 * What a callback may return instead of a plain result: stop the server (with or
 * without a reply to the current call), or run `handleContinue(arg)` before the
 * next message (with or without a reply). `R` is the reply's type.
 */
export class ServerAction<R = never> {
  /** @internal */
  constructor(
    readonly kind: 'stop' | 'continue',
    /** The stop reason, or the continue argument. */
    readonly value: unknown,
    readonly hasReply: boolean,
    readonly reply: R | undefined,
  ) {}
}

/** The request `stopServer` sends: terminate with `reason`, reply `'ok'`, exit (OTP `proc_lib:stop`). @internal */
export class SystemStop {
  constructor(readonly reason: ExitReason) {}
}

/** What a server replies to a call no handler takes; the client turns it into an UnknownCallError. @internal */
export class UnknownCallReply extends ErrorReply {
  constructor(
    readonly request: unknown,
    readonly server: Pid,
  ) {
    super();
  }

  toError(): Error {
    return new UnknownCallError(this.server, this.request);
  }
}

registerClass(SystemStop, { name: 'grove.$gen_server_stop' });
registerClass(UnknownCallReply, {
  name: 'grove.$gen_server_unknown_call',
  toTerm: (r) => [r.request, r.server],
  fromTerm: (t) => new UnknownCallReply((t as [unknown, Pid])[0], (t as [unknown, Pid])[1]),
});

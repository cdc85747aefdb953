/**
 * GenServer: OTP's `gen_server` as a class.
 *
 * One instance per process, state in its fields. `init(args)` runs in the new
 * process before `start` resolves; calls, casts and infos are routed to methods by
 * `@Call()`, `@Cast()` and `@Info()` (see decorators.ts). A call handler's
 * return value is the reply. The engine (engine.ts, start.ts for init,
 * terminate.ts for terminate) is the only code that calls these methods; typed
 * clients are in client.ts.
 *
 * The callbacks, what they may return and what that does:
 *
 * | callback                | returns                                                     |
 * | ----------------------- | ----------------------------------------------------------- |
 * | `init(args)`            | nothing (ok), `this.ignore()`, `this.stopWith(reason)`, `this.continueWith(arg)`, `this.timeoutAfter(ms)`, `this.hibernate()` |
 * | `@Call()` handler       | the reply, `this.noReply()` (reply later to `this.from`), `this.stopWith(reason, reply?)`, `this.continueWith(arg, reply?)`, `this.timeoutAfter(ms, reply?)`, `this.hibernate(reply?)` |
 * | `@Cast()`, `@Info()`    | nothing, `this.stopWith(reason)`, `this.continueWith(arg)`, `this.timeoutAfter(ms)`, `this.hibernate()` |
 * | `handleContinue(arg)`   | as a cast                                                    |
 * | `terminate(reason)`     | ignored; runs on stop, on a crash in a callback, and on the parent's exit signal when trapping exits; never on `kill` |
 *
 * Any of them may be `async`: the process then handles nothing else until the
 * promise settles. A throw (or rejection) runs `terminate` and ends the server with
 * the error as reason, after one crash report.
 *
 * Deliberate differences from OTP: a call no handler takes is answered with an
 * error the caller sees ({@link UnknownCallError}) and the server goes on (OTP
 * crashes it); an unknown cast is logged at warn and dropped, like an unknown info.
 */
import { BadArgError } from '../errors';
import type { From } from '../gen';
import type { ProcessContext } from '../runtime/context';
import type { ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import type { ViaName } from '../runtime/registry';
import type { ChildSpec } from '../supervisor/child_spec';
import {
  clientFor,
  type Caller,
  type ChildSpecOptions,
  type Client,
  type ClientOptions,
  type GenServerOptions,
  type StartArgs,
  type StartResult,
} from './client';
import { kState, replyOut, unexpected, unknownCall, type ServerState } from './engine';
import type { DeclaresProtocol, NamedProtocol, Protocol, ProtocolOf, Undeclared } from './protocol';
import { kServerClass, ServerRef, type ServerChildSpec } from './server_ref';
import { kQuickStart, launchServer, startServer, takeConstructing, type QuickStart } from './start';

// ---- what callbacks return besides a plain reply ----

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
    readonly kind: 'stop' | 'continue' | 'timeout' | 'hibernate',
    /** The stop reason, the continue argument, or the idle timeout's milliseconds. */
    readonly value: unknown,
    readonly hasReply: boolean,
    readonly reply: R | undefined,
  ) {}
}

/** What `init` may return: nothing (ok), `ignore()`, `stopWith(reason)` or `continueWith(arg)`, or a promise of one. */
export type InitResult = void | Ignore | ServerAction<never> | Promise<void | Ignore | ServerAction<never>>;

/** A concrete GenServer class (its constructor takes no arguments). */
export type ServerClass<S extends GenServer<any>> = new () => S;

/**
 * Base class of every GenServer. `P` declares the protocol that typed clients use
 * and the decorators are checked against: by name (`{ call: 'add'; cast: 'reset' }`,
 * the signatures are the class's methods) or with signatures (`{ call: { add(k:
 * number): number }; cast: {...} }`). A class that declares none has no typed
 * client (`callServer` / `castServer` still reach it).
 *
 * @example
 * class Counter extends GenServer<{ call: 'add'; cast: 'reset' }> {
 *   private n = 0;
 *   override init(start: number) { this.n = start; }
 *   @Call() add(k: number): number { return (this.n += k); }
 *   @Cast() reset(): void { this.n = 0; }
 * }
 * const pid = await Counter.start(node, 0);
 * await Counter.client(node, pid).call.add(5); // 5
 */
export abstract class GenServer<P extends Protocol | NamedProtocol | Undeclared = Undeclared> {
  /** @internal */ declare readonly [kState]: ServerState;
  /**
   * Type-level only: carries `P` for the typed client and the decorators; never set,
   * never read. A subclass that adds messages redeclares it with the whole protocol
   * (`declare readonly '~protocol'?: { call: 'hello' | 'extra' }`).
   */
  declare readonly '~protocol'?: P | Protocol | NamedProtocol;

  constructor() {
    const c = takeConstructing();
    if (c === null) throw new BadArgError(`${new.target.name} is a GenServer: start it with ${new.target.name}.start(...) or startLink(...), not new`);
    this[kState] = c;
    c.s = this;
  }

  // ---- callbacks (override what you need) ----

  /** Runs in the new process before `start` resolves. */
  init(_args?: unknown): InitResult {
    return undefined;
  }

  /** Calls no `@Call()` handler takes. Default: the caller gets an UnknownCallError; the server goes on. */
  handleCall(request: unknown, from: From): unknown {
    return unknownCall(this[kState], request, from);
  }

  /** Casts no `@Cast()` handler takes. Default: logged at warn and dropped. */
  handleCast(request: unknown): unknown {
    unexpected(this[kState], 'cast', request);
    return undefined;
  }

  /** Messages no `@Info()` handler takes. Default: logged at warn and dropped (OTP). */
  handleInfo(msg: unknown): unknown {
    unexpected(this[kState], 'info', msg);
    return undefined;
  }

  /** Runs after a callback returned `continueWith(arg)`, before the next message. */
  handleContinue(arg: unknown): unknown {
    throw new BadArgError(`${this.constructor.name} asked to continue with ${String(arg)} but has no handleContinue`, arg);
  }

  /** Runs when the server stops (not on `kill`, nor on an exit signal when not trapping exits). */
  terminate(_reason: ExitReason): unknown {
    return undefined;
  }

  /** The state shown in crash reports. Default: the instance's own fields. */
  formatState(): unknown {
    const fields: Record<string, unknown> = {};
    for (const k of Object.keys(this)) fields[k] = (this as Record<string, unknown>)[k];
    return fields;
  }

  // ---- what callbacks use ----

  /** This server's process context. */
  get ctx(): ProcessContext {
    return this[kState].ctx;
  }

  /** This server's pid. */
  get self(): Pid {
    return this[kState].ctx.pid;
  }

  /**
   * Aborted when this server's process dies (after `terminate`), with its exit reason:
   * pass it to the timers and I/O a callback awaits (`fetch(url, { signal: this.signal })`),
   * so that a killed server's callback does not run on after its death.
   */
  get signal(): AbortSignal {
    return this[kState].ctx.signal;
  }

  /** The caller of the call being handled (to reply later); throws outside a call handler. */
  protected get from(): From {
    const f = this[kState].from;
    if (f === null) throw new BadArgError(`${this.constructor.name}: 'from' is only available while a call is being handled`);
    return f;
  }

  /** Replies to a caller (a `from` kept by a handler that returned `noReply()`). */
  protected reply(to: From, value: unknown): void {
    replyOut(this[kState], to, value);
  }

  /** Returned by a call handler: no reply now; reply later with `this.reply(from, value)`. */
  protected noReply(): NoReply {
    return NO_REPLY;
  }

  /** Returned by init: do not start (`start` resolves `'ignore'`, the process exits normally). */
  protected ignore(): Ignore {
    return IGNORE;
  }

  /** Returned by a callback: stop with `reason` (running `terminate`), replying `reply` first when given in a call handler. */
  protected stopWith(reason: ExitReason): ServerAction<never>;
  protected stopWith<R>(reason: ExitReason, reply: R): ServerAction<R>;
  protected stopWith(reason: ExitReason, ...rest: unknown[]): ServerAction<unknown> {
    return new ServerAction('stop', reason, rest.length > 0, rest[0]);
  }

  /** Returned by a callback: run `handleContinue(arg)` before the next message (replying `reply` first when given). */
  protected continueWith(arg: unknown): ServerAction<never>;
  protected continueWith<R>(arg: unknown, reply: R): ServerAction<R>;
  protected continueWith(arg: unknown, ...rest: unknown[]): ServerAction<unknown> {
    return new ServerAction('continue', arg, rest.length > 0, rest[0]);
  }

  /**
   * Returned by a callback: if no message arrives within `ms` milliseconds,
   * `handleInfo('timeout')` runs (an `@Info('timeout')` handler takes it), OTP's
   * `{reply, R, S, Timeout}` idle timeout. Any message (system requests aside)
   * cancels it. Replies `reply` first when given.
   */
  protected timeoutAfter(ms: number): ServerAction<never>;
  protected timeoutAfter<R>(ms: number, reply: R): ServerAction<R>;
  protected timeoutAfter(ms: number, ...rest: unknown[]): ServerAction<unknown> {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) throw new BadArgError(`timeoutAfter: ms must be a finite number >= 0, got ${String(ms)}`, ms);
    return new ServerAction('timeout', ms, rest.length > 0, rest[0]);
  }

  /**
   * Returned by a callback: drop what the server holds while idle (OTP's
   * `hibernate`): its empty mailbox's buffer, grown by a burst, and its idle `sys`
   * data; replies `reply` first when given. The next message wakes it as usual.
   */
  protected hibernate(): ServerAction<never>;
  protected hibernate<R>(reply: R): ServerAction<R>;
  protected hibernate(...rest: unknown[]): ServerAction<unknown> {
    return new ServerAction('hibernate', null, rest.length > 0, rest[0]);
  }

  // ---- starting ----

  /**
   * Starts a server (no link): resolves when init succeeded with a {@link ServerRef}
   * (the pid, plus `.call` / `.cast` typed from the class's protocol, calling from
   * `from`); rejects with StartError.
   */
  static start<S extends GenServer<any>>(this: ServerClass<S>, from: Caller, ...[args, options]: StartArgs<S>): Promise<StartResult<S, ServerRef<S>>> {
    return startRef(this, from, args, options, false);
  }

  /** Starts a server linked to `from` (what a supervisor calls); resolves with a {@link ServerRef} as `start`. */
  static startLink<S extends GenServer<any>>(this: ServerClass<S>, from: Caller, ...[args, options]: StartArgs<S>): Promise<StartResult<S, ServerRef<S>>> {
    return startRef(this, from, args, options, true);
  }

  /**
   * A child spec for a Supervisor: `startLink(parent, args, options)`, worker,
   * permanent, 5 s shutdown unless overridden. `startChild` with it resolves with a
   * {@link ServerRef}.
   */
  static childSpec<S extends GenServer<any>>(this: ServerClass<S>, ...[args, options]: StartArgs<S, ChildSpecOptions>): ServerChildSpec<S> {
    const spec = serverChildSpec(this, args, options);
    // A symbol key: spec checks (string keys) do not see it, a spread keeps it.
    (spec as { [kServerClass]?: unknown })[kServerClass] = this;
    return spec as ServerChildSpec<S>;
  }

  /**
   * A typed client of the server `server` (pid or name), calling from `from` (a
   * process context, or a node), with one method per message of the class's declared
   * protocol (a class that declares none has no typed client: a compile error).
   */
  static client<S extends GenServer<any>>(
    this: ServerClass<S> & DeclaresProtocol<S>,
    from: Caller,
    server: Pid | string | readonly [string, string] | ViaName,
    options?: ClientOptions,
  ): Client<ProtocolOf<S>> {
    return clientFor(this, from, server, options) as Client<ProtocolOf<S>>;
  }
}

/** Starts `cls` and wraps its pid in a typed reference (a supervisor's child spec starts through startServer: no wrapping on restarts). */
function startRef(cls: ServerClass<GenServer<any>>, from: Caller, args: unknown, options: GenServerOptions | undefined, link: boolean): Promise<any> {
  return startServer(cls, from, args, options, link).then((v: Pid | 'ignore') => (v === 'ignore' ? v : new ServerRef(v, cls, from)));
}

/**
 * @internal `Cls.childSpec` without the class kept for `startChild`: for core's own
 * servers (Agent, Registry, GenStateMachine's host), whose starts answer plain pids.
 */
export function serverChildSpec(cls: ServerClass<GenServer<any>>, args: unknown, options: ChildSpecOptions | undefined): ChildSpec {
  const { id, restart, shutdown, significant, backoff, ...startOptions } = options ?? {};
  const start = (parent: ProcessContext): Promise<any> => startServer(cls, parent, args, startOptions, true);
  // What a supervisor restarts the child with: the same start, without a promise.
  (start as QuickStart)[kQuickStart] = (parent, resolve, reject) => launchServer(cls, parent, args, startOptions, true, resolve, reject);
  const spec: ChildSpec = {
    id: id ?? cls.name,
    start,
    restart: restart ?? 'permanent',
    shutdown: shutdown ?? 5000,
    type: 'worker',
  };
  if (significant !== undefined) spec.significant = significant;
  if (backoff !== undefined) spec.backoff = backoff;
  return spec;
}

/**
 * GenServer clients: the untyped `callServer` / `castServer` / `stopServer`, and
 * typed clients whose methods come from the server's declared protocol
 * (protocol.ts), so that calling an undeclared message, or with a wrong argument or
 * reply type, does not compile. At run time a class's client answers a message
 * whose handler lacks its decorator (or has the other one) with a clear error.
 */
import { BadArgError, formatTerm } from '../errors';
import { call, cast, DEFAULT_CALL_TIMEOUT_MS } from '../gen';
import type { ProcessContext, TimeoutMs } from '../runtime/context';
import type { ExitReason } from '../runtime/exit';
import type { MailboxOptions } from '../runtime/mailbox_bound';
import { Node } from '../runtime/node';
import { Pid } from '../runtime/pid';
import { Process } from '../runtime/process';
import type { Dest, ViaName } from '../runtime/registry';
import type { Backoff } from '../supervisor/backoff';
import type { RestartType, Shutdown } from '../supervisor/child_spec';
import { dispatchTable, type DispatchTable } from './decorators';
import { SystemStop } from './engine';
import type { GenServer, Ignore } from './gen_server';
import type { CallApi, CastApi, Protocol } from './protocol';

/** Who calls: a process context, or a node (its root process calls, from outside any process). */
export type Caller = ProcessContext | Node;

// ---- types ----

/** A typed client of one server. */
export interface Client<P extends Protocol> {
  readonly call: CallApi<NonNullable<P['call']>>;
  readonly cast: CastApi<NonNullable<P['cast']>>;
  /** The server this client talks to. */
  readonly server: Dest;
  /** The same client with another call timeout. */
  withTimeout(timeoutMs: TimeoutMs): Client<P>;
}

// ---- start and child spec types ----

/** Options for `start` / `startLink`. */
export interface GenServerOptions {
  /** Register under a local name, or a via name (`{ via, name }`). */
  name?: string | ViaName;
  /** How long init may take (default 5000 ms); past it the process is killed and start fails with reason `'timeout'`. */
  timeoutMs?: TimeoutMs;
  /**
   * `start` only: the server's parent, for a server started on behalf of another
   * process that links to it itself — as `@grove/distribution` does for a
   * supervisor's child on another node. That process's exit signal then ends the
   * server through `terminate` (when it traps exits), as a linked starter's does.
   * Default: none but the server itself (`startLink`'s parent is its caller).
   */
  parent?: Pid;
  /**
   * Bound the server's mailbox: at most `max` queued messages; `overflow` says what a
   * message past that does (`'reject'` fails a call at once with MailboxFullError).
   * Default unbounded. See the README's "Bounded mailboxes".
   */
  mailbox?: MailboxOptions;
}

/** Options for `childSpec`: start options (the parent is the supervisor) plus the supervisor's. */
export interface ChildSpecOptions extends Omit<GenServerOptions, 'parent'> {
  /** Default: the class name. */
  id?: string;
  /** Default `'permanent'`. */
  restart?: RestartType;
  /** Default 5000 ms. */
  shutdown?: Shutdown;
  significant?: boolean;
  /** Restart after a growing delay (see the supervisor's `backoff`). */
  backoff?: Backoff;
}

type InitParams<S> = S extends { init(...args: infer A): any } ? A : [];

/** `start`'s arguments after `from`: init's argument (optional when init takes none) and options. */
export type StartArgs<S, O = GenServerOptions> = InitParams<S> extends []
  ? [args?: undefined, options?: O]
  : undefined extends InitParams<S>[0]
    ? [args?: InitParams<S>[0], options?: O]
    : [args: InitParams<S>[0], options?: O];

type InitReturn<S> = S extends { init(...args: any[]): infer R } ? Awaited<R> : void;

/**
 * What a start resolves with: `R` (a pid by default), or `'ignore'` too when init may
 * return `ignore()` (a class that keeps GenServer's init never does). TypeScript sees
 * this from init's declared or inferred return type: an init typed as returning
 * `InitResult` (or `any`) may ignore.
 */
export type StartResult<S, R = Pid> = S extends { init: infer I } ? (Same<I, GenServer['init']> extends true ? R : Ignore extends InitReturn<S> ? R | 'ignore' : R) : R;

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// ---- the untyped client ----

/**
 * @internal The process that acts for `from` (a node acts through its root process);
 * anything else is a BadArgError naming the operation `what` (of `whose`, when
 * given: the message is only built on failure). Every behaviour checks its caller
 * or starter here.
 */
export function callerOf(from: unknown, what: string, whose?: { readonly name: string }): Process {
  if (from instanceof Process) return from;
  if (from instanceof Node) return from.root;
  const op = whose === undefined ? what : `${what} of ${whose.name}`;
  throw new BadArgError(`${op}: expected a Node or a process context, got ${formatTerm(from)}`, from);
}

function isDest(d: unknown): d is Dest {
  return d instanceof Pid || typeof d === 'string' || Array.isArray(d) || (typeof d === 'object' && d !== null && 'via' in d);
}

/**
 * Calls a GenServer (OTP `gen_server:call`): resolves with the reply, rejects with
 * CallExitError (the server died or did not exist: `noproc`), CallTimeoutError
 * (a late reply is dropped) or UnknownCallError (no handler takes the request).
 */
export function callServer(from: Caller, server: Dest, request: unknown, timeoutMs: TimeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<unknown> {
  let caller: Process;
  try {
    caller = callerOf(from, 'call');
  } catch (e) {
    return Promise.reject(e);
  }
  // The server's "no handler" answer is an ErrorReply: `call` itself rejects with UnknownCallError.
  return call(caller, server, request, timeoutMs);
}

/** Casts to a GenServer (OTP `gen_server:cast`): fire and forget, even when the server does not exist. */
export function castServer(from: Caller, server: Dest, request: unknown): void {
  const caller = callerOf(from, 'cast');
  cast(caller.node, caller.pid, server, request);
}

/**
 * Stops a GenServer (OTP `gen_server:stop`): it runs `terminate(reason)` and exits
 * with `reason`. Resolves once it is gone; rejects with CallExitError when it did
 * not exist or died another way (its `reason` is the real exit reason, e.g. the
 * error `terminate` threw), CallTimeoutError after `timeoutMs`, CallingSelfError
 * when a server stops itself this way.
 */
export async function stopServer(from: Caller, server: Dest, reason: ExitReason = 'normal', timeoutMs: TimeoutMs = 'infinity'): Promise<void> {
  await call(callerOf(from, 'stop'), server, new SystemStop(reason), timeoutMs);
}

// ---- typed clients ----

interface Side {
  readonly $c: ClientImpl;
}

class ClientImpl {
  readonly call: Side;
  readonly cast: Side;

  constructor(
    readonly kind: ClientKind,
    readonly from: Caller,
    readonly server: Dest,
    readonly timeoutMs: TimeoutMs,
  ) {
    this.call = Object.create(kind.callProto, { $c: { value: this } }) as Side;
    this.cast = Object.create(kind.castProto, { $c: { value: this } }) as Side;
  }

  withTimeout(timeoutMs: TimeoutMs): ClientImpl {
    return new ClientImpl(this.kind, this.from, this.server, checkTimeout(timeoutMs));
  }
}

/** Per class: prototypes holding one function per message. */
interface ClientKind {
  readonly callProto: object;
  readonly castProto: object;
}

/**
 * A client method sending `wire` or `[wire, ...args]` through `send`. It reads
 * `arguments` rather than a rest parameter: a rest array (and the spread into the
 * request) would be allocated on every call and cast, while the engine keeps
 * `arguments` virtual when only its length and elements are read.
 */
function clientMethod<R>(wire: string, send: (c: ClientImpl, request: unknown) => R): (this: Side) => R {
  return function (this: Side): R {
    const n = arguments.length;
    let req: unknown;
    if (n === 0) req = wire;
    else if (n === 1) req = [wire, arguments[0]];
    else if (n === 2) req = [wire, arguments[0], arguments[1]];
    else {
      const a: unknown[] = [wire];
      for (let i = 0; i < n; i++) a.push(arguments[i]);
      req = a;
    }
    return send(this.$c, req);
  };
}

const sendCall = (c: ClientImpl, request: unknown): Promise<unknown> => callServer(c.from, c.server, request, c.timeoutMs);
const sendCast = (c: ClientImpl, request: unknown): void => castServer(c.from, c.server, request);
const callMethod = (wire: string) => clientMethod(wire, sendCall);
const castMethod = (wire: string) => clientMethod(wire, sendCast);

const kinds = new WeakMap<Function, ClientKind>();

/** A class's client sides: built once per class from its routes. */
function kindOf(cls: Function): ClientKind {
  let k = kinds.get(cls);
  if (k === undefined) {
    const t = dispatchTable(cls);
    const callProto: Record<string, unknown> = Object.create(null);
    const castProto: Record<string, unknown> = Object.create(null);
    // A method the protocol may name but that is not routed on that side (no
    // decorator, or the other one) answers with what is wrong, never a TypeError.
    for (const method of methodNames(cls)) {
      callProto[method] = misrouted(cls.name, t, 'call', method);
      castProto[method] = misrouted(cls.name, t, 'cast', method);
    }
    for (const [method, wire] of t.callNames) callProto[method] = callMethod(wire);
    for (const [method, wire] of t.castNames) castProto[method] = castMethod(wire);
    k = { callProto, castProto };
    kinds.set(cls, k);
  }
  return k;
}

/** The names of the methods of `cls` and its bases (string keys, not the constructors). */
function methodNames(cls: Function): Set<string> {
  const names = new Set<string>();
  for (let p = cls.prototype as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key !== 'constructor' && typeof Object.getOwnPropertyDescriptor(p, key)?.value === 'function') names.add(key);
    }
  }
  return names;
}

/**
 * The client method for `method` when it is not a handler of this side: a call
 * rejects, a cast throws, with a BadArgError saying why (its decorator is missing,
 * or it handles the other side).
 */
function misrouted(cls: string, t: DispatchTable, side: 'call' | 'cast', method: string): () => unknown {
  const other = side === 'call' ? 'cast' : 'call';
  const decorator = side === 'call' ? '@Call()' : '@Cast()';
  const isOther = (side === 'call' ? t.castNames : t.callNames).has(method);
  const message = isOther
    ? `${cls}.${method} is a ${side === 'call' ? '@Cast' : '@Call'} handler: ${other} it (client.${other}.${method})`
    : `${cls}.${method} has no ${decorator} decorator, so ${cls} routes no ${side} to it: decorate it, or remove it from the declared protocol`;
  return side === 'call' ? () => Promise.reject(new BadArgError(message, method)) : () => {
    throw new BadArgError(message, method);
  };
}
function checkTimeout(t: unknown): TimeoutMs {
  if (t === 'infinity' || (typeof t === 'number' && t >= 0 && t < Infinity)) return t;
  throw new BadArgError(`client: timeoutMs must be a finite number >= 0 or 'infinity', got ${String(t)}`, t);
}

/** Options for a typed client. */
export interface ClientOptions {
  /** Call timeout (default 5000 ms). */
  timeoutMs?: TimeoutMs;
}

function checkClientArgs(from: Caller, server: unknown, options: ClientOptions | undefined): TimeoutMs {
  callerOf(from, 'client');
  if (!isDest(server)) throw new BadArgError(`client: not a pid or name: ${String(server)}`, server);
  return checkTimeout(options?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
}

/** @internal a client built from a class's routes (`Cls.client(...)`). */
export function clientFor(cls: Function, from: Caller, server: Dest, options?: ClientOptions): Client<Protocol> {
  return new ClientImpl(kindOf(cls), from, server, checkClientArgs(from, server, options)) as unknown as Client<Protocol>;
}

/** Builds sides on demand from the names used: for a declared protocol with no class at hand. */
const proxyKind: ClientKind = {
  callProto: proxySide(callMethod),
  castProto: proxySide(castMethod),
};

/**
 * A side whose methods are made on first use: the proxy sits behind a plain object
 * that keeps each method made, so only a name's first use goes through the trap and
 * later calls are an ordinary property lookup.
 */
function proxySide(make: (wire: string) => Function): object {
  const made: Record<string, Function> = Object.create(
    new Proxy(Object.create(null) as object, {
      get(_t, key) {
        if (typeof key !== 'string') return undefined;
        const f = make(key);
        Object.defineProperty(made, key, { value: f, enumerable: true });
        return f;
      },
    }),
  ) as Record<string, Function>;
  return made;
}

/**
 * A typed client for a server known only by its protocol type (e.g. on another
 * node): `clientOf<KvProtocol>(ctx, ['kv', 'b@host']).call.get('k')`.
 * Wire names are the protocol's method names.
 */
export function clientOf<P extends Protocol>(from: Caller, server: Dest, options?: ClientOptions): Client<P> {
  return new ClientImpl(proxyKind, from, server, checkClientArgs(from, server, options)) as unknown as Client<P>;
}

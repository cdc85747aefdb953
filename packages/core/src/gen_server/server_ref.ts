/**
 * Typed server references: what `Cls.start` / `Cls.startLink` resolve with. A
 * {@link ServerRef} is a {@link Pid} (a subclass: it goes wherever a pid goes —
 * `link`, `monitor`, `send`, a supervisor, another node, where it arrives as a plain
 * pid) that also carries `.call` / `.cast`, typed from the class's declared protocol
 * exactly as `Cls.client(...)` is.
 *
 * The calls go from the starter (the `from` given to start: a node's root process,
 * or a process context). A process that is not the starter, or wants another call
 * timeout, binds its own client with {@link ServerRef.client}.
 */
import { BadArgError, formatTerm } from '../errors';
import { Pid } from '../runtime/pid';
import type { TimeoutMs } from '../runtime/context';
import { clientFor, type Caller, type Client, type ClientOptions } from './client';
import type { ChildSpec } from '../supervisor/child_spec';
import type { DeclaresProtocol, Protocol, ProtocolOf } from './protocol';

/** The typed client of server class instance `S` (none when it declares no protocol). */
type RefClient<S> = [ProtocolOf<S>] extends [never] ? DeclaresProtocol<S> : Client<ProtocolOf<S>>;
type RefSide<S, K extends 'call' | 'cast'> = [ProtocolOf<S>] extends [never] ? DeclaresProtocol<S> : Client<ProtocolOf<S>>[K];

/**
 * A started server: its pid, plus a typed client calling from the starter.
 *
 * ```ts
 * const counter = await Counter.start(node, 0); // ServerRef<Counter>
 * await counter.call.add(5);                     // typed from Counter's protocol
 * ctx.link(counter);                              // still a Pid
 * ```
 */
export class ServerRef<S = unknown> extends Pid {
  // Not enumerable (defined in the constructor): a ServerRef looks, compares
  // (`toEqual`) and prints as the pid it is.
  /** @internal the server's class, for its client's routes. */
  declare private readonly cls: Function;
  /** @internal who calls through `.call` / `.cast`. */
  declare private readonly from: Caller;
  /** @internal made on first use. */
  declare private made: Client<Protocol> | undefined;

  /**
   * A reference to `pid`, a server of class `cls`, calling from `from`. `start` and
   * `startLink` make one; so does `@grove/distribution`'s `spawnRemote` by class.
   * Whether `pid` really runs a `cls` is not checked: a wrong one answers its calls
   * with errors, as a wrong client's would.
   */
  constructor(pid: Pid, cls: new () => S, from: Caller) {
    if (!(pid instanceof Pid)) throw new BadArgError(`ServerRef: expected a pid, got ${formatTerm(pid)}`, pid);
    if (typeof cls !== 'function') throw new BadArgError(`ServerRef: expected a GenServer class, got ${formatTerm(cls)}`, cls);
    super(pid.node, pid.id, pid.serial, pid.creation);
    Object.defineProperties(this, {
      pid: { value: pid instanceof ServerRef ? pid.pid : pid },
      cls: { value: cls },
      from: { value: from },
      made: { value: undefined, writable: true },
    });
  }

  /** The server as the plain {@link Pid} its start resolved with (what arrives on another node). */
  declare readonly pid: Pid;

  /** Calls, from the starter: one method per call message of the declared protocol. */
  get call(): RefSide<S, 'call'> {
    return (this.bound().call as unknown) as RefSide<S, 'call'>;
  }

  /** Casts, from the starter: one method per cast message of the declared protocol. */
  get cast(): RefSide<S, 'cast'> {
    return (this.bound().cast as unknown) as RefSide<S, 'cast'>;
  }

  /** A typed client of this server calling from `from` (another process, or the same starter with other options). */
  client(from: Caller, options?: ClientOptions): RefClient<S> {
    return clientFor(this.cls, from, this.plain(), options) as unknown as RefClient<S>;
  }

  /** The same calls with another call timeout. */
  withTimeout(timeoutMs: TimeoutMs): RefClient<S> {
    return this.client(this.from, { timeoutMs });
  }

  private bound(): Client<Protocol> {
    return (this.made ??= clientFor(this.cls, this.from, this.plain()));
  }

  /** The client's destination: the plain pid, so that nothing of the ref travels in a call. */
  private plain(): Pid {
    return this.pid;
  }
}

/** True when `value` is a {@link ServerRef}. */
export function isServerRef(value: unknown): value is ServerRef {
  return value instanceof ServerRef;
}

/** @internal the key under which `Cls.childSpec` keeps its class, so that `startChild` can answer with a typed reference. */
export const kServerClass: unique symbol = Symbol('grove.gen_server.class');

/** Type-level only: the class a {@link ServerChildSpec} starts. */
declare const serverClass: unique symbol;

/**
 * A child spec made by a GenServer class's `childSpec`: `startChild` with it resolves
 * with a `ServerRef<S>` (the class is kept with the spec, which stays on its node).
 */
export type ServerChildSpec<S> = ChildSpec & { readonly [serverClass]: S };

/** @internal the reference `startChild` answers with for a spec that carries its class; the pid as it is otherwise. */
export function refForSpec(spec: unknown, v: Pid | 'ignore', from: Caller): Pid | 'ignore' {
  if (v === 'ignore') return v;
  const cls = (spec as { [kServerClass]?: new () => unknown })[kServerClass];
  return cls === undefined ? v : new ServerRef(v, cls, from);
}

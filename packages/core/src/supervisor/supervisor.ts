/**
 * Supervisors (OTP `supervisor`): declared as classes, started as processes, and
 * driven through the supervisor API.
 *
 * ```ts
 * @supervisor({ strategy: 'one_for_one', intensity: 3, periodMs: 5000 })
 * class Root extends Supervisor<{ port: number }> {
 *   children(args: { port: number }): ChildSpec[] {
 *     return [Cache.childSpec(), Web.childSpec({ port: args.port }), Jobs.childSpec()];
 *   }
 * }
 * const pid = await Root.start(node, { port: 8080 });
 * ```
 *
 * The decorator only records the flags; `children(args)` runs inside the new
 * supervisor process, which checks the flags and every spec before it starts
 * anything (a bad spec rejects the start with a {@link ChildSpecError}). Override
 * `flags(args)` instead of decorating when the flags depend on the start args.
 * `Root.childSpec(args)` nests the supervisor in another one.
 *
 * A supervisor runs as a GenServer, started through the GenServer start path:
 * engine.ts holds the restart executor and children.ts what it does with each
 * child (both shared with dynamic supervisors), static_engine.ts the children and
 * the API calls. The API below calls it.
 */
import { BadArgError, ChildSpecError, formatTerm } from '../errors';
import { call } from '../gen';
import { callerOf, stopServer, type StartResult } from '../gen_server/client';
import { refForSpec, type ServerChildSpec, type ServerRef } from '../gen_server/server_ref';
import type { ServerClass } from '../gen_server/gen_server';
import { startServer } from '../gen_server/start';
import { StartError } from '../proc_lib';
import type { ProcessContext, TimeoutMs } from '../runtime/context';
import type { ExitReason } from '../runtime/exit';
import { Node } from '../runtime/node';
import { Pid } from '../runtime/pid';
import { isRemoteName, isViaName, type Dest, type ViaName } from '../runtime/registry';
import type { ChildSpec, RestartType, SupervisorFlags } from './child_spec';
import type { SupervisorServer, SupervisorStart } from './engine';
import { dropHandoff, handOff, unwrap, type ChildCounts, type ChildInfo, type RestartCounts, type SupervisorRequest } from './protocol';
import { StaticSupervisorServer } from './static_engine';

/** Where a supervisor is started from: a process (its parent) or a node (from outside any process). */
export type StartFrom = ProcessContext | Node;

/** Options for starting a supervisor. */
export interface SupervisorOptions {
  /** Register the supervisor under a local name (or a via name). */
  name?: string | ViaName;
}

/** Everything a supervisor needs: its flags and its children, in start order. */
export interface SupervisorInit {
  flags?: SupervisorFlags;
  children: ChildSpec[];
}

/** Overrides for a supervisor's own child spec when it is nested. */
export interface SupervisorChildOptions extends SupervisorOptions {
  /** Default: the class name. */
  id?: string;
  /** Default `'permanent'`. */
  restart?: RestartType;
}

const decorated = new WeakMap<object, SupervisorFlags>();

/** Class decorator: the flags of a {@link Supervisor} or {@link SimpleOneForOneSupervisor} subclass. */
export function supervisor(flags: SupervisorFlags): (ctor: abstract new (...args: never[]) => unknown) => void {
  return (ctor) => {
    decorated.set(ctor, flags);
  };
}

/** @internal the flags recorded by the nearest decorated class in `ctor`'s chain. */
export function decoratedFlags(ctor: unknown): SupervisorFlags {
  for (let c = ctor; typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    const f = decorated.get(c as object);
    if (f !== undefined) return f;
  }
  return {};
}

/** The start args type of a supervisor class (its type parameter). */
export type SupervisorArgs<S> = S extends { readonly argsType: infer A } ? A : never;

/** `[args?, options?]` when the supervisor takes no args, `[args, options?]` otherwise. */
export type SupervisorStartArgs<S, O = SupervisorOptions> = [SupervisorArgs<S>] extends [void]
  ? [args?: undefined, options?: O]
  : [args: SupervisorArgs<S>, options?: O];

/**
 * Base class of static supervisors. Subclass it, decorate it with
 * {@link supervisor} and implement {@link Supervisor.children}.
 */
export abstract class Supervisor<A = void> {
  /** Type-level only: the start args, for inference; never set, never read. */
  declare readonly argsType: A;

  /** The flags for this start; by default the `@supervisor(...)` decorator's. */
  flags(_args: A): SupervisorFlags {
    return decoratedFlags(this.constructor);
  }

  /** The children, in start order (stopped in reverse). Runs in the supervisor process. */
  abstract children(args: A): ChildSpec[];

  /** Starts the supervisor, not linked. Resolves with its pid once every child has started. */
  static start<S extends Supervisor<any>>(this: new () => S, from: StartFrom, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchClass(this, from, false, rest[0], rest[1]);
  }

  /** Starts the supervisor linked to `parent` (as a child of another supervisor, or of any process). */
  static startLink<S extends Supervisor<any>>(this: new () => S, parent: ProcessContext, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchClass(this, parent, true, rest[0], rest[1]);
  }

  /** A child spec that starts this supervisor under another one (type supervisor, shutdown infinity). */
  static childSpec<S extends Supervisor<any>>(this: new () => S, ...rest: SupervisorStartArgs<S, SupervisorChildOptions>): ChildSpec {
    const cls = this;
    const [args, options = {}] = rest;
    return supervisorChildSpec(cls.name, options, (parent, startOptions) => launchClass(cls, parent, true, args, startOptions));
  }
}

/** @internal the spec nesting a supervisor (static or dynamic) under another one: type supervisor, shutdown infinity. */
export function supervisorChildSpec(name: string, options: SupervisorChildOptions, startLink: (parent: ProcessContext, options: SupervisorOptions) => Promise<Pid>): ChildSpec {
  const startOptions: SupervisorOptions = options.name === undefined ? {} : { name: options.name };
  return {
    id: options.id ?? name,
    start: (parent) => startLink(parent, startOptions),
    restart: options.restart ?? 'permanent',
    type: 'supervisor',
    shutdown: 'infinity',
  };
}

function launchClass(cls: new () => Supervisor<unknown>, from: StartFrom, link: boolean, args: unknown, options: SupervisorOptions | undefined): Promise<Pid> {
  const make = (): SupervisorInit => {
    const sup = new cls();
    return { flags: sup.flags(args), children: sup.children(args) };
  };
  return launch(StaticSupervisorServer, from, link, options ?? {}, make, cls.name);
}

/**
 * @internal starts a supervisor (static or dynamic) through the GenServer start
 * path: its init runs `make` in the new process, checks what it says and, for a
 * static supervisor, starts the children.
 */
export function launch<I>(cls: ServerClass<SupervisorServer<any, I>>, from: StartFrom, link: boolean, options: SupervisorOptions, make: () => I, label: string): Promise<Pid> {
  try {
    callerOf(from, 'supervisor start');
    checkOptions(options);
  } catch (e) {
    return Promise.reject(e);
  }
  const args: SupervisorStart<I> = { make, label };
  const startOptions = { timeoutMs: 'infinity' as const, ...(options.name !== undefined ? { name: options.name } : {}) };
  return startServer(cls, from, args, startOptions, link).then(
    (pid) => pid as Pid,
    (e: unknown) => {
      // A bad spec or flag is the caller's mistake: surface it as is.
      throw e instanceof StartError && e.reason instanceof ChildSpecError ? e.reason : e;
    },
  );
}

/**
 * A supervisor's start options: `name` only. Whether it links is in the function's
 * name (`start` / `startLink`), so a `link` key is refused with the way to say it.
 */
function checkOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new BadArgError(`supervisor start: options must be an object, got ${formatTerm(options)}`, options);
  for (const key of Object.keys(options)) {
    if (key === 'name') continue;
    throw new BadArgError(
      key === 'link'
        ? 'supervisor start: there is no link option: startSupervisor (and Cls.start) start a supervisor unlinked, startLinkSupervisor (and Cls.startLink) start it linked to its parent'
        : `supervisor start: unknown option ${JSON.stringify(key)}`,
      options,
    );
  }
}

/**
 * Starts a supervisor from a plain description, without declaring a class
 * (handy for small trees and tests), **not linked** to `from` (as `Cls.start`): it
 * lives until stopped (`stopSupervisor`). `init` may be a function, run in the new
 * supervisor process. See {@link startLinkSupervisor} for OTP's `start_link`.
 */
export function startSupervisor(from: StartFrom, init: SupervisorInit | (() => SupervisorInit), options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(STATIC, from, false, init, options, 'startSupervisor');
}

/**
 * Starts a supervisor from a plain description **linked to `parent`** (OTP
 * `supervisor:start_link`, as `Cls.startLink`): the parent's exit signal stops it
 * (children first), and its exit reaches the parent. What an application's `start`
 * and a child spec's `start` return.
 */
export function startLinkSupervisor(parent: ProcessContext, init: SupervisorInit | (() => SupervisorInit), options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(STATIC, parent, true, init, options, 'startLinkSupervisor');
}

/** @internal a kind of supervisor a plain description starts: its server, how reports name it, the description's shape. */
export interface DescribedKind<I> {
  readonly server: ServerClass<SupervisorServer<any, I>>;
  readonly label: string;
  readonly expected: string;
}

const STATIC: DescribedKind<SupervisorInit> = { server: StaticSupervisorServer, label: 'supervisor', expected: '{ flags?, children }' };

/** @internal starts a supervisor of `kind` from the description (or the function returning one) given to API function `what`. */
export function launchDescribed<I>(kind: DescribedKind<I>, from: StartFrom, link: boolean, init: I | (() => I), options: SupervisorOptions, what: string): Promise<Pid> {
  let make: () => I;
  try {
    make = makerOf(init, what, kind.expected);
  } catch (e) {
    return Promise.reject(e);
  }
  return launch(kind.server, from, link, options, make, kind.label);
}

/** @internal `init` as the function the new supervisor runs: a description, or a function returning one; anything else is a BadArgError. */
export function makerOf<T>(init: T | (() => T), what: string, expected: string): () => T {
  if (typeof init === 'function') return init as () => T;
  if (typeof init !== 'object' || init === null) throw new BadArgError(`${what}: expected ${expected} or a function returning it, got ${formatTerm(init)}`, init);
  return () => init;
}

// ---- the supervisor API (calls to the supervisor process) ----

/** A call to supervisor `sup`, its answer unwrapped; a bad caller rejects like any other bad input. */
async function supRequest(from: StartFrom, sup: Dest, request: SupervisorRequest, child?: unknown, timeoutMs: TimeoutMs = 'infinity'): Promise<unknown> {
  return unwrap(sup, child, await call(callerOf(from, 'supervisor call'), sup, request, timeoutMs));
}

function isLocal(node: Node, sup: Dest): boolean {
  if (sup instanceof Pid) return sup.node === node.name;
  if (isRemoteName(sup)) return sup[1] === node.name;
  if (isViaName(sup)) {
    const pid = sup.via.whereisName(sup.name);
    return pid === undefined || pid.node === node.name;
  }
  return true;
}

function isSpecLike(x: unknown): x is ChildSpec {
  return typeof x === 'object' && x !== null && typeof (x as { start?: unknown }).start === 'function';
}

/**
 * Adds a child to a running supervisor and starts it (OTP `start_child`): with a
 * child spec for a static supervisor or Elixir's {@link DynamicSupervisor} (which must
 * run on this node: a spec holds a function), with the child's args for a
 * {@link SimpleOneForOneSupervisor}. Resolves with
 * the pid or `'ignore'`; rejects with {@link ChildSpecError}, a
 * {@link SupervisorChildError} (`already_started`, `already_present`,
 * `max_children`) or a StartError.
 */
export function startChild<S>(from: StartFrom, sup: Dest, spec: ServerChildSpec<S>): Promise<StartResult<S, ServerRef<S>>>;
export function startChild(from: StartFrom, sup: Dest, spec: ChildSpec): Promise<Pid | 'ignore'>;
export function startChild(from: StartFrom, sup: Dest, args: unknown): Promise<Pid | 'ignore'>;
export async function startChild(from: StartFrom, sup: Dest, specOrArgs: unknown): Promise<Pid | 'ignore'> {
  if (!isSpecLike(specOrArgs)) return (await supRequest(from, sup, ['start_child', specOrArgs])) as Pid | 'ignore';
  if (!isLocal(callerOf(from, 'startChild').node, sup)) {
    throw new BadArgError('startChild: a child spec holds a function and cannot be sent to a supervisor on another node', sup);
  }
  const handoff = handOff(specOrArgs);
  try {
    // A GenServer class's spec answers with a typed reference (Cls.childSpec).
    return refForSpec(specOrArgs, (await supRequest(from, sup, ['start_child', handoff], specOrArgs.id)) as Pid | 'ignore', from);
  } finally {
    dropHandoff(handoff);
  }
}

/** Stops a child (by id, or by pid for a dynamic supervisor); a temporary child's spec goes with it. */
export function terminateChild(from: StartFrom, sup: Dest, child: string | Pid): Promise<void> {
  return supRequest(from, sup, ['terminate_child', child], child).then(() => undefined);
}

/** Starts again a child that is not running (its spec was kept). */
export function restartChild(from: StartFrom, sup: Dest, id: string): Promise<Pid | 'ignore'> {
  return supRequest(from, sup, ['restart_child', id], id) as Promise<Pid | 'ignore'>;
}

/** Removes the spec of a child that is not running. */
export function deleteChild(from: StartFrom, sup: Dest, id: string): Promise<void> {
  return supRequest(from, sup, ['delete_child', id], id).then(() => undefined);
}

/**
 * Stops a supervisor: its children stop, last started first, then it exits with
 * `reason` (OTP `gen_server:stop`, which works on supervisors). Resolves once it
 * is gone.
 */
export function stopSupervisor(from: StartFrom, sup: Dest, reason: ExitReason = 'normal'): Promise<void> {
  return stopServer(from, sup, reason);
}

/** Every child, in start order: id, pid (or `'restarting'`, or undefined), type, restart. `timeoutMs`: as a call's (default: none). */
export function whichChildren(from: StartFrom, sup: Dest, timeoutMs: TimeoutMs = 'infinity'): Promise<ChildInfo[]> {
  return supRequest(from, sup, 'which_children', undefined, timeoutMs) as Promise<ChildInfo[]>;
}

/**
 * How often `sup` restarted its children since it started, in all and per child (no
 * OTP equivalent: the figure observers and metrics show). `timeoutMs`: as a call's.
 */
export function restartCounts(from: StartFrom, sup: Dest, timeoutMs: TimeoutMs = 5000): Promise<RestartCounts> {
  return supRequest(from, sup, 'restart_counts', undefined, timeoutMs) as Promise<RestartCounts>;
}

/** Counts of specs, running children, supervisors and workers. */
export function countChildren(from: StartFrom, sup: Dest): Promise<ChildCounts> {
  return supRequest(from, sup, 'count_children') as Promise<ChildCounts>;
}

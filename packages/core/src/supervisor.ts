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
 * The engine is in supervisor_engine.ts, over the loop and restart executor that
 * dynamic supervisors share (supervisor_process.ts); stopping children in
 * child_shutdown.ts.
 */
import { checkChildSpecs, type ChildSpec, type RestartType } from './child_spec';
import type { ProcessContext } from './context';
import { BadArgError, ChildSpecError, describe } from './errors';
import type { ExitReason } from './exit';
import { call } from './gen';
import { callerOf } from './gen_server_client';
import { SystemStop } from './gen_server_actions';
import { Node } from './node';
import { Pid } from './pid';
import { start, StartError } from './proc_lib';
import type { Process } from './process';
import { isRemoteName, isViaName, type Dest, type ViaName } from './registry';
import { SupervisorEngine } from './supervisor_engine';
import { checkFlags, type SupervisorFlags } from './supervisor_flags';
import { dropHandoff, handOff, unwrap, type ChildCounts, type ChildInfo, type SupervisorRequest } from './supervisor_protocol';

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

/** Class decorator: the flags of a {@link Supervisor} or {@link DynamicSupervisor} subclass. */
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
  return launchSupervisor(from, make, link, options ?? {}, cls.name);
}

/** Starts a static supervisor process whose init is `make()`. */
function launchSupervisor(from: StartFrom, make: () => SupervisorInit, link: boolean, options: SupervisorOptions, label: string): Promise<Pid> {
  return launch(from, link, options, async (ctx, parent) => {
    const { flags, children } = make();
    const checked = checkFlags(flags, false);
    const specs = checkChildSpecs(children, checked.autoShutdown);
    const engine = new SupervisorEngine(ctx, parent, checked, label);
    await engine.startAll(specs);
    return engine;
  });
}

/**
 * @internal starts a supervisor process (static or dynamic): traps exits, runs
 * `setup` (which starts the children) and hands every message to the engine it returns.
 */
export function launch(
  from: StartFrom,
  link: boolean,
  options: SupervisorOptions,
  setup: (ctx: Process, parent: Pid | null) => Promise<{ handle: (msg: unknown) => unknown }>,
): Promise<Pid> {
  let starter: Process;
  try {
    starter = callerOf(from, 'supervisor start');
  } catch (e) {
    return Promise.reject(e);
  }
  const parent = link ? starter.pid : null;
  let engine: { handle: (msg: unknown) => unknown } | null = null;
  const init = async (ctx: ProcessContext) => {
    ctx.trapExit(true);
    engine = await setup(ctx as Process, parent);
    return { ok: true } as const;
  };
  const opts = { link, label: 'supervisor', timeoutMs: 'infinity' as const, ...(options.name !== undefined ? { name: options.name } : {}) };
  return start(from, init, (msg) => engine!.handle(msg) as void | PromiseLike<void>, opts).then(
    (pid) => pid as Pid,
    (e: unknown) => {
      // A bad spec or flag is the caller's mistake: surface it as is.
      throw e instanceof StartError && e.reason instanceof ChildSpecError ? e.reason : e;
    },
  );
}

/**
 * Starts a supervisor from a plain description, without declaring a class
 * (handy for small trees and tests). `init` may be a function, run in the new
 * supervisor process.
 */
export function startSupervisor(from: StartFrom, init: SupervisorInit | (() => SupervisorInit), options: SupervisorOptions & { link?: boolean } = {}): Promise<Pid> {
  let make: () => SupervisorInit;
  try {
    make = makerOf(init, 'startSupervisor', '{ flags?, children }');
  } catch (e) {
    return Promise.reject(e);
  }
  return launchSupervisor(from, make, options.link === true, options, 'supervisor');
}

/** @internal `init` as the function the new supervisor runs: a description, or a function returning one; anything else is a BadArgError. */
export function makerOf<T>(init: T | (() => T), what: string, expected: string): () => T {
  if (typeof init === 'function') return init as () => T;
  if (typeof init !== 'object' || init === null) throw new BadArgError(`${what}: expected ${expected} or a function returning it, got ${describe(init)}`, init);
  return () => init;
}

// ---- the supervisor API (calls to the supervisor process) ----

/** A call to supervisor `sup`; a bad caller rejects like any other bad input. */
async function supCall(from: StartFrom, sup: Dest, request: SupervisorRequest | SystemStop): Promise<unknown> {
  return call(callerOf(from, 'supervisor call'), sup, request, 'infinity');
}

async function supRequest(from: StartFrom, sup: Dest, request: SupervisorRequest, child?: unknown): Promise<unknown> {
  return unwrap(sup, child, await supCall(from, sup, request));
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
 * child spec for a static supervisor (which must run on this node: a spec holds a
 * function), with the child's args for a {@link DynamicSupervisor}. Resolves with
 * the pid or `'ignore'`; rejects with {@link ChildSpecError}, a
 * {@link SupervisorChildError} (`already_started`, `already_present`,
 * `max_children`) or a StartError.
 */
export function startChild(from: StartFrom, sup: Dest, spec: ChildSpec): Promise<Pid | 'ignore'>;
export function startChild(from: StartFrom, sup: Dest, args: unknown): Promise<Pid | 'ignore'>;
export async function startChild(from: StartFrom, sup: Dest, specOrArgs: unknown): Promise<Pid | 'ignore'> {
  if (!isSpecLike(specOrArgs)) return (await supRequest(from, sup, { op: 'start_child', args: specOrArgs })) as Pid | 'ignore';
  if (!isLocal(callerOf(from, 'startChild').node, sup)) {
    throw new BadArgError('startChild: a child spec holds a function and cannot be sent to a supervisor on another node', sup);
  }
  const n = handOff(specOrArgs);
  try {
    return (await supRequest(from, sup, { op: 'start_child', handoff: n }, specOrArgs.id)) as Pid | 'ignore';
  } finally {
    dropHandoff(n);
  }
}

/** Stops a child (by id, or by pid for a dynamic supervisor); a temporary child's spec goes with it. */
export function terminateChild(from: StartFrom, sup: Dest, child: string | Pid): Promise<void> {
  return supRequest(from, sup, { op: 'terminate_child', child }, child).then(() => undefined);
}

/** Starts again a child that is not running (its spec was kept). */
export function restartChild(from: StartFrom, sup: Dest, id: string): Promise<Pid | 'ignore'> {
  return supRequest(from, sup, { op: 'restart_child', id }, id) as Promise<Pid | 'ignore'>;
}

/** Removes the spec of a child that is not running. */
export function deleteChild(from: StartFrom, sup: Dest, id: string): Promise<void> {
  return supRequest(from, sup, { op: 'delete_child', id }, id).then(() => undefined);
}

/**
 * Stops a supervisor: its children stop, last started first, then it exits with
 * `reason` (OTP `gen_server:stop`, which works on supervisors). Resolves once it
 * is gone.
 */
export function stopSupervisor(from: StartFrom, sup: Dest, reason: ExitReason = 'normal'): Promise<void> {
  return supCall(from, sup, new SystemStop(reason)).then(() => undefined);
}

/** Every child, in start order: id, pid (or `'restarting'`, or undefined), type, restart. */
export function whichChildren(from: StartFrom, sup: Dest): Promise<ChildInfo[]> {
  return supRequest(from, sup, { op: 'which_children' }) as Promise<ChildInfo[]>;
}

/** Counts of specs, running children, supervisors and workers. */
export function countChildren(from: StartFrom, sup: Dest): Promise<ChildCounts> {
  return supRequest(from, sup, { op: 'count_children' }) as Promise<ChildCounts>;
}

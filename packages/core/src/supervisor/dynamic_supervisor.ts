/**
 * Dynamic supervisors, in two forms.
 *
 * {@link DynamicSupervisor} (Elixir's): no children at start; `startChild(sup,
 * spec)` adds any child spec (mixed kinds), each child's `start` called as
 * `start(parent, ...extraArguments)`, up to `maxChildren`.
 *
 * ```ts
 * const sup = await startDynamicSupervisor(node, { flags: { maxChildren: 100 } });
 * const worker = await startChild(node, sup, Worker.childSpec(1));
 * const cache = await startChild(node, sup, Cache.childSpec('c', { restart: 'transient' }));
 * ```
 *
 * {@link SimpleOneForOneSupervisor} (OTP `simple_one_for_one`): children of one
 * kind, from one template, started on demand with their own args.
 *
 * ```ts
 * @supervisor({ intensity: 5, periodMs: 1000, maxChildren: 100 })
 * class Sessions extends SimpleOneForOneSupervisor<void, { user: string }> {
 *   child(): ChildTemplate<{ user: string }> {
 *     return { start: (parent, args) => Session.startLink(parent, args), restart: 'transient' };
 *   }
 * }
 * const sup = await Sessions.start(node);
 * const pid = await Sessions.startChild(node, sup, { user: 'ada' });
 * await terminateChild(node, sup, pid);
 * ```
 *
 * The engine is in dynamic_engine.ts.
 */
import type { ProcessContext } from '../runtime/context';
import type { Pid } from '../runtime/pid';
import type { Dest } from '../runtime/registry';
import type { ChildSpec, ChildTemplate, SupervisorFlags } from './child_spec';
import { DynamicSupervisorServer } from './dynamic_engine';
import {
  decoratedFlags,
  launch,
  launchDescribed,
  startChild,
  supervisorChildSpec,
  type DescribedKind,
  type StartFrom,
  type SupervisorChildOptions,
  type SupervisorOptions,
  type SupervisorStartArgs,
} from './supervisor';

// ---- Elixir's DynamicSupervisor ----

/** Everything an Elixir-style dynamic supervisor needs: its flags and the arguments every child's start gets after the parent. */
export interface DynamicSupervisorInit<E extends readonly unknown[] = readonly unknown[]> {
  /** `intensity`, `periodMs`, `maxChildren` (default `'infinity'`). */
  flags?: SupervisorFlags;
  /** Passed to every child's `start` after the parent: `start(parent, ...extraArguments)` (Elixir's `extra_arguments`, prepended there). Default none. */
  extraArguments?: E;
}

/** A child spec for a {@link DynamicSupervisor} with extra arguments `E`: its `start` takes them after the parent. */
export interface DynamicChildSpec<E extends readonly unknown[] = []> extends Omit<ChildSpec, 'start'> {
  start: (parent: ProcessContext, ...extra: E) => Promise<Pid | 'ignore'>;
}

/** The extra arguments type of a {@link DynamicSupervisor} class. */
export type DynamicExtraArgs<S> = S extends { readonly extraType: infer E extends readonly unknown[] } ? E : [];

/**
 * Base class of Elixir-style dynamic supervisors: `A` is the supervisor's start
 * args, `E` the extra arguments every child's start gets after the parent.
 * Decorate the subclass with `@supervisor({ intensity, periodMs, maxChildren })`;
 * override {@link DynamicSupervisor.extraArguments} when `E` is not empty.
 *
 * ```ts
 * @supervisor({ intensity: 3, periodMs: 5000, maxChildren: 10 })
 * class Jobs extends DynamicSupervisor<Config, [Config]> {
 *   override extraArguments(config: Config): [Config] { return [config]; }
 * }
 * const sup = await Jobs.start(node, config);
 * await Jobs.startChild(node, sup, { id: 'j', start: (parent, config) => Job.startLink(parent, config) });
 * ```
 */
export abstract class DynamicSupervisor<A = void, E extends readonly unknown[] = []> {
  /** Type-level only: carries the type for inference; never set, never read. */
  declare readonly argsType: A;
  /** Type-level only: carries the type for inference; never set, never read. */
  declare readonly extraType: E;

  /** The flags for this start; by default the `@supervisor(...)` decorator's. */
  flags(_args: A): SupervisorFlags {
    return decoratedFlags(this.constructor);
  }

  /** The arguments every child's start gets after the parent; none by default. Runs in the supervisor process. */
  extraArguments(_args: A): E {
    return [] as unknown as E;
  }

  /** Starts the supervisor, not linked, with no children. */
  static start<S extends DynamicSupervisor<any, any>>(this: new () => S, from: StartFrom, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchElixirClass(this, from, false, rest[0], rest[1]);
  }

  /** Starts the supervisor linked to `parent`. */
  static startLink<S extends DynamicSupervisor<any, any>>(this: new () => S, parent: ProcessContext, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchElixirClass(this, parent, true, rest[0], rest[1]);
  }

  /** A child spec that starts this supervisor under another one. */
  static childSpec<S extends DynamicSupervisor<any, any>>(this: new () => S, ...rest: SupervisorStartArgs<S, SupervisorChildOptions>): ChildSpec {
    const cls = this;
    const [args, options = {}] = rest;
    return supervisorChildSpec(cls.name, options, (parent, startOptions) => launchElixirClass(cls, parent, true, args, startOptions));
  }

  /**
   * Starts a child of the running supervisor `sup` (on this node: a spec holds a
   * function) from `spec`, whose start is typed with the class's extra arguments.
   */
  static startChild<S extends DynamicSupervisor<any, any>>(this: new () => S, from: StartFrom, sup: Dest, spec: DynamicChildSpec<DynamicExtraArgs<S>>): Promise<Pid | 'ignore'> {
    return startChild(from, sup, spec as unknown as ChildSpec);
  }
}

function launchElixirClass(cls: new () => DynamicSupervisor<unknown, readonly unknown[]>, from: StartFrom, link: boolean, args: unknown, options: SupervisorOptions | undefined): Promise<Pid> {
  const make = (): DynamicSupervisorInit => {
    const sup = new cls();
    return { flags: sup.flags(args), extraArguments: sup.extraArguments(args) };
  };
  return launch(DynamicSupervisorServer, from, link, options ?? {}, make, cls.name);
}

const ELIXIR: DescribedKind<DynamicSupervisorInit> = { server: DynamicSupervisorServer, label: 'dynamic_supervisor', expected: '{ flags?, extraArguments? }' };

/**
 * Starts an Elixir-style dynamic supervisor (no class needed), **not linked** (as
 * `Cls.start`): no children until {@link startChild} adds them, any spec each.
 */
export function startDynamicSupervisor<E extends readonly unknown[] = []>(from: StartFrom, init: DynamicSupervisorInit<E> | (() => DynamicSupervisorInit<E>) = {}, options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(ELIXIR, from, false, init as DynamicSupervisorInit, options, 'startDynamicSupervisor');
}

/** Starts an Elixir-style dynamic supervisor **linked to `parent`** (Elixir's `DynamicSupervisor.start_link`). */
export function startLinkDynamicSupervisor<E extends readonly unknown[] = []>(parent: ProcessContext, init: DynamicSupervisorInit<E> | (() => DynamicSupervisorInit<E>) = {}, options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(ELIXIR, parent, true, init as DynamicSupervisorInit, options, 'startLinkDynamicSupervisor');
}

// ---- OTP's simple_one_for_one ----

/** Everything a simple_one_for_one supervisor needs: its flags and its child template. */
export interface SimpleOneForOneInit<C = unknown> {
  flags?: SupervisorFlags;
  child: ChildTemplate<C>;
}

/** The child args type of a dynamic supervisor class. */
export type SimpleOneForOneChildArgs<S> = S extends { readonly childArgsType: infer C } ? C : never;

/**
 * Base class of simple_one_for_one supervisors: `A` is the supervisor's start args, `C` each
 * child's args. Decorate the subclass with `@supervisor({ intensity, periodMs,
 * maxChildren })` and implement {@link SimpleOneForOneSupervisor.child}.
 */
export abstract class SimpleOneForOneSupervisor<A = void, C = unknown> {
  /** Type-level only: carries the type for inference; never set, never read. */
  declare readonly argsType: A;
  /** Type-level only: carries the type for inference; never set, never read. */
  declare readonly childArgsType: C;

  /** The flags for this start; by default the `@supervisor(...)` decorator's. */
  flags(_args: A): SupervisorFlags {
    return decoratedFlags(this.constructor);
  }

  /** The template every child is started from. Runs in the supervisor process. */
  abstract child(args: A): ChildTemplate<C>;

  /** Starts the supervisor, not linked, with no children. */
  static start<S extends SimpleOneForOneSupervisor<any, any>>(this: new () => S, from: StartFrom, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchDynamicClass(this, from, false, rest[0], rest[1]);
  }

  /** Starts the supervisor linked to `parent`. */
  static startLink<S extends SimpleOneForOneSupervisor<any, any>>(this: new () => S, parent: ProcessContext, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchDynamicClass(this, parent, true, rest[0], rest[1]);
  }

  /** A child spec that starts this supervisor under another one. */
  static childSpec<S extends SimpleOneForOneSupervisor<any, any>>(this: new () => S, ...rest: SupervisorStartArgs<S, SupervisorChildOptions>): ChildSpec {
    const cls = this;
    const [args, options = {}] = rest;
    return supervisorChildSpec(cls.name, options, (parent, startOptions) => launchDynamicClass(cls, parent, true, args, startOptions));
  }

  /** Starts a child of the running supervisor `sup` with `args` (typed by the class). */
  static startChild<S extends SimpleOneForOneSupervisor<any, any>>(this: new () => S, from: StartFrom, sup: Dest, args: SimpleOneForOneChildArgs<S>): Promise<Pid | 'ignore'> {
    return startChild(from, sup, args as unknown);
  }
}

function launchDynamicClass(cls: new () => SimpleOneForOneSupervisor<unknown, unknown>, from: StartFrom, link: boolean, args: unknown, options: SupervisorOptions | undefined): Promise<Pid> {
  const make = (): SimpleOneForOneInit => {
    const sup = new cls();
    return { flags: sup.flags(args), child: sup.child(args) };
  };
  return launch(DynamicSupervisorServer, from, link, options ?? {}, make, cls.name);
}

const SIMPLE: DescribedKind<SimpleOneForOneInit> = { server: DynamicSupervisorServer, label: 'dynamic_supervisor', expected: '{ flags?, child }' };

/** Starts a simple_one_for_one supervisor from a plain description, without declaring a class, **not linked** (as `Cls.start`). */
export function startSimpleOneForOne<C>(from: StartFrom, init: SimpleOneForOneInit<C> | (() => SimpleOneForOneInit<C>), options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(SIMPLE, from, false, init as SimpleOneForOneInit, options, 'startSimpleOneForOne');
}

/** Starts a simple_one_for_one supervisor from a plain description **linked to `parent`** (OTP `start_link`, as `Cls.startLink`). */
export function startLinkSimpleOneForOne<C>(parent: ProcessContext, init: SimpleOneForOneInit<C> | (() => SimpleOneForOneInit<C>), options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(SIMPLE, parent, true, init as SimpleOneForOneInit, options, 'startLinkSimpleOneForOne');
}

/**
 * Dynamic supervisors (OTP `simple_one_for_one`, Elixir's DynamicSupervisor):
 * children of one kind, started on demand with their own args.
 *
 * ```ts
 * @supervisor({ intensity: 5, periodMs: 1000, maxChildren: 100 })
 * class Sessions extends DynamicSupervisor<void, { user: string }> {
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

/** Everything a dynamic supervisor needs: its flags and its child template. */
export interface DynamicSupervisorInit<C = unknown> {
  flags?: SupervisorFlags;
  child: ChildTemplate<C>;
}

/** The child args type of a dynamic supervisor class. */
export type DynamicChildArgs<S> = S extends { readonly childArgsType: infer C } ? C : never;

/**
 * Base class of dynamic supervisors: `A` is the supervisor's start args, `C` each
 * child's args. Decorate the subclass with `@supervisor({ intensity, periodMs,
 * maxChildren })` and implement {@link DynamicSupervisor.child}.
 */
export abstract class DynamicSupervisor<A = void, C = unknown> {
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
  static start<S extends DynamicSupervisor<any, any>>(this: new () => S, from: StartFrom, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchDynamicClass(this, from, false, rest[0], rest[1]);
  }

  /** Starts the supervisor linked to `parent`. */
  static startLink<S extends DynamicSupervisor<any, any>>(this: new () => S, parent: ProcessContext, ...rest: SupervisorStartArgs<S>): Promise<Pid> {
    return launchDynamicClass(this, parent, true, rest[0], rest[1]);
  }

  /** A child spec that starts this supervisor under another one. */
  static childSpec<S extends DynamicSupervisor<any, any>>(this: new () => S, ...rest: SupervisorStartArgs<S, SupervisorChildOptions>): ChildSpec {
    const cls = this;
    const [args, options = {}] = rest;
    return supervisorChildSpec(cls.name, options, (parent, startOptions) => launchDynamicClass(cls, parent, true, args, startOptions));
  }

  /** Starts a child of the running supervisor `sup` with `args` (typed by the class). */
  static startChild<S extends DynamicSupervisor<any, any>>(this: new () => S, from: StartFrom, sup: Dest, args: DynamicChildArgs<S>): Promise<Pid | 'ignore'> {
    return startChild(from, sup, args as unknown);
  }
}

function launchDynamicClass(cls: new () => DynamicSupervisor<unknown, unknown>, from: StartFrom, link: boolean, args: unknown, options: SupervisorOptions | undefined): Promise<Pid> {
  const make = (): DynamicSupervisorInit => {
    const sup = new cls();
    return { flags: sup.flags(args), child: sup.child(args) };
  };
  return launch(DynamicSupervisorServer, from, link, options ?? {}, make, cls.name);
}

const DYNAMIC: DescribedKind<DynamicSupervisorInit> = { server: DynamicSupervisorServer, label: 'dynamic_supervisor', expected: '{ flags?, child }' };

/** Starts a dynamic supervisor from a plain description, without declaring a class, **not linked** (as `Cls.start`). */
export function startDynamicSupervisor<C>(from: StartFrom, init: DynamicSupervisorInit<C> | (() => DynamicSupervisorInit<C>), options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(DYNAMIC, from, false, init as DynamicSupervisorInit, options, 'startDynamicSupervisor');
}

/** Starts a dynamic supervisor from a plain description **linked to `parent`** (OTP `start_link`, as `Cls.startLink`). */
export function startLinkDynamicSupervisor<C>(parent: ProcessContext, init: DynamicSupervisorInit<C> | (() => DynamicSupervisorInit<C>), options: SupervisorOptions = {}): Promise<Pid> {
  return launchDescribed(DYNAMIC, parent, true, init as DynamicSupervisorInit, options, 'startLinkDynamicSupervisor');
}

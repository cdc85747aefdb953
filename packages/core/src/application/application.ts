/**
 * Applications (OTP `application`): a supervision tree with a name, an environment,
 * dependencies, and a restart type that says what its death means for the node.
 *
 * ```ts
 * class Web extends Application {
 *   env = { port: 8080, greeting: 'hello' };   // defaults, overridable at start
 *   dependencies = [Db];                        // started first, stopped last
 *   start(ctx: ProcessContext): Promise<Pid> {
 *     return WebSup.startLink(ctx, { port: this.getEnv('port') });
 *   }
 * }
 * await startApplication(node, Web, { env: { port: 9000 }, type: 'permanent' });
 * onNodeStop(node, ({ application, reason }) => process.exit(1));
 * ```
 *
 * The node's application controller (application_controller.ts) starts each
 * application in its own master process, which links to the root the app's
 * `start` returns and watches it. Restart types, as OTP:
 * - `permanent`: when its root exits, for any reason, every other application is
 *   stopped and the node halts; `onNodeStop` listeners hear why.
 * - `transient`: the same, unless the root exited `normal`.
 * - `temporary` (default): the exit is only reported.
 */
import type { ProcessContext } from '../runtime/context';
import type { ExitReason } from '../runtime/exit';
import type { Node } from '../runtime/node';
import type { Pid } from '../runtime/pid';
import { controllerOf, type RunningApplication } from './application_controller';

/** What an application's death means for the node. */
export type ApplicationType = 'permanent' | 'transient' | 'temporary';

/** The `env` a subclass declares (`{}` when it declares none). */
export type ApplicationEnv<T> = T extends { readonly env: infer E } ? E : Record<string, never>;

/** The start args of an application class (its type parameter). */
export type ApplicationArgs<T> = T extends { readonly argsType: infer A } ? A : never;

/** A concrete application class. */
export type ApplicationClass<T extends Application<any> = Application<any>> = new () => T;

/**
 * Base class of applications. A subclass implements `start` (start the root
 * supervisor linked to `ctx` and return its pid) and may declare `env` defaults,
 * `dependencies` (other application classes) and a `stop` hook.
 */
export abstract class Application<A = void> {
  /** Type-level only: carries the type for inference; never set, never read. */
  declare readonly argsType: A;

  /** The application's name: its class name. */
  get name(): string {
    return this.constructor.name;
  }

  /**
   * Starts the application's tree, linked to `ctx` (the application master), and
   * resolves with the root pid. Rejecting fails `startApplication`.
   */
  abstract start(ctx: ProcessContext, args: A): Promise<Pid>;

  /**
   * Called after the application's tree has gone: when it was stopped, and when its
   * root exited by itself, whatever the reason (OTP's `Mod:stop/1`). A throw is logged.
   */
  stop(): void | Promise<void> {}

  /** A value of the environment: the start override, else the declared default. */
  getEnv<K extends keyof ApplicationEnv<this>>(key: K): ApplicationEnv<this>[K] {
    const env = (this as { env?: Record<PropertyKey, unknown> }).env;
    return env?.[key as PropertyKey] as ApplicationEnv<this>[K];
  }
}

/** Options of {@link startApplication}. */
export interface StartApplicationOptions<T extends Application<any>> {
  /** Overrides of the declared `env` defaults (this application only, not its dependencies). */
  env?: Partial<ApplicationEnv<T>>;
  /** Default `'temporary'`, as OTP. Dependencies started here get the same type. */
  type?: ApplicationType;
  /** The start args (dependencies started here get none). */
  args?: ApplicationArgs<T>;
}

/** A running application, as {@link whichApplications} lists it. */
export interface ApplicationInfo {
  readonly name: string;
  readonly type: ApplicationType;
  /** The root process `start` returned. */
  readonly root: Pid;
}

/** Why the node stopped: the application whose death stopped it, and its root's exit reason. */
export interface NodeStopInfo {
  readonly application: string;
  readonly reason: ExitReason;
}

/**
 * Starts `cls` on `node` after its dependencies that are not running yet (depth
 * first, in declaration order). Resolves with the root pid. If any of them fails,
 * those started by this call are stopped again and it rejects with an
 * ApplicationError (`start_failed`, `already_started`, `circular_dependency`).
 */
export function startApplication<T extends Application<any>>(node: Node, cls: ApplicationClass<T>, options: StartApplicationOptions<T> = {}): Promise<Pid> {
  return controllerOf(node).start(cls, options as StartApplicationOptions<Application<unknown>>);
}

/**
 * Stops a running application: first the running applications that depend on it
 * (last started first), then its tree, then its `stop` hook.
 */
export function stopApplication(node: Node, app: ApplicationClass<any> | string): Promise<void> {
  return controllerOf(node).stop(typeof app === 'string' ? app : app.name);
}

/** Stops every running application, last started first (dependencies last). */
export function stopApplications(node: Node): Promise<void> {
  return controllerOf(node).stopAll();
}

/** The running applications, in start order. */
export function whichApplications(node: Node): ApplicationInfo[] {
  return controllerOf(node).running().map((r: RunningApplication) => ({ name: r.name, type: r.type, root: r.root }));
}

/** An environment value of a running application (undefined when it is not running). */
export function getEnv<T extends Application<any>, K extends keyof ApplicationEnv<T>>(node: Node, cls: ApplicationClass<T>, key: K): ApplicationEnv<T>[K] | undefined {
  const r = controllerOf(node).find(cls.name);
  return r === undefined ? undefined : (r.app as T).getEnv(key as keyof ApplicationEnv<T>) as ApplicationEnv<T>[K];
}

/**
 * Calls `listener` when a permanent (or abnormally ending transient) application
 * stopped the node: after every other application was stopped and the node halted.
 * A program typically exits there. Returns the function that removes the listener.
 */
export function onNodeStop(node: Node, listener: (info: NodeStopInfo) => void): () => void {
  return controllerOf(node).onNodeStop(listener);
}

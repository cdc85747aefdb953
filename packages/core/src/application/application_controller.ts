/**
 * The application controller of a node (OTP `application_controller` and
 * `application_master`), one per Node.
 *
 * Each application runs under a master process that traps exits, calls the app's
 * `start(ctx)`, links to the root it returns and then waits for one of two things:
 * the controller asking it to stop (exit signal `shutdown` to the root, then wait
 * for the root's EXIT), or the root's EXIT on its own (the application died).
 *
 * Operations are serialised through one promise chain, so a start, a stop and the
 * reaction to a death never interleave. The controller keeps the classes and
 * instances in memory (they hold functions and cannot be messages), which is why it
 * is an object beside the processes rather than a process itself.
 *
 * Deliberate difference from OTP: stopping an application first stops the running
 * applications that depend on it, so a dependency is always stopped after its
 * dependents.
 */
import { ApplicationError, formatTerm } from '../errors';
import { getLogger, logEnabled } from '../logger';
import type { ProcessContext } from '../runtime/context';
import { isExitMessage, type ExitMessage, type ExitReason } from '../runtime/exit';
import { Monitor } from '../runtime/monitor';
import type { Node } from '../runtime/node';
import { Pid } from '../runtime/pid';
import type { Process } from '../runtime/process';
import type { Application, ApplicationClass, ApplicationType, NodeStopInfo, StartApplicationOptions } from './application';

const log = getLogger('application');
const STOP = '$application_stop';

/** @internal one running application. */
export interface RunningApplication {
  readonly name: string;
  readonly app: Application<unknown>;
  readonly type: ApplicationType;
  readonly master: Pid;
  readonly root: Pid;
  /** Resolves with the root's exit reason once the master asked it to stop. */
  stopped: Promise<ExitReason> | null;
  readonly requestStop: () => Promise<ExitReason>;
}

/** The node root's monitor of an application master: a callback instead of a DOWN message. */
class MasterWatch extends Monitor {
  constructor(watcher: Process, refId: number, master: Pid, private readonly onDown: (reason: ExitReason) => void) {
    super(watcher, refId, master, null);
  }
  override down(reason: ExitReason): void {
    this.onDown(reason);
  }
}

const controllers = new WeakMap<Node, ApplicationController>();

/** @internal the controller of `node`, created on first use. */
export function controllerOf(node: Node): ApplicationController {
  let c = controllers.get(node);
  if (c === undefined) controllers.set(node, (c = new ApplicationController(node)));
  return c;
}

function dependenciesOf(app: Application<unknown>): ApplicationClass[] {
  const deps = (app as { dependencies?: unknown }).dependencies ?? [];
  if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'function')) {
    throw new ApplicationError('bad_application', app.name, `dependencies must be an array of application classes, got ${formatTerm(deps)}`);
  }
  return deps as ApplicationClass[];
}

/** @internal */
export class ApplicationController {
  private readonly apps = new Map<string, RunningApplication>();
  private readonly listeners = new Set<(info: NodeStopInfo) => void>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly node: Node) {}

  /** Runs `op` after every earlier operation has finished. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(op, op);
    this.chain = p.catch(() => undefined);
    return p;
  }

  running(): RunningApplication[] {
    this.prune();
    return [...this.apps.values()];
  }

  find(name: string): RunningApplication | undefined {
    this.prune();
    return this.apps.get(name);
  }

  /** Forgets applications whose master no longer runs (the node was halted under them). */
  private prune(): void {
    for (const [name, r] of this.apps) if (!this.node.isAlive(r.master)) this.apps.delete(name);
  }

  onNodeStop(listener: (info: NodeStopInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(cls: ApplicationClass, options: StartApplicationOptions<Application<unknown>>): Promise<Pid> {
    return this.serial(async () => {
      this.prune();
      if (typeof cls !== 'function') throw new ApplicationError('bad_application', String(cls), 'not a class');
      if (this.apps.has(cls.name)) throw new ApplicationError('already_started', cls.name);
      const order: Application<unknown>[] = [];
      this.plan(cls, order, []);
      const type = options.type ?? 'temporary';
      const startedHere: string[] = [];
      try {
        for (const app of order) {
          const own = app.constructor === cls;
          await this.startOne(app, type, own ? options.env : undefined, own ? options.args : undefined);
          startedHere.push(app.name);
        }
      } catch (e) {
        for (const name of startedHere.reverse()) await this.stopOne(name);
        throw e;
      }
      return this.apps.get(cls.name)!.root;
    });
  }

  /** Depth-first: dependencies (not running yet) before the app, each once; cycles refused. */
  private plan(cls: ApplicationClass, order: Application<unknown>[], path: string[]): void {
    if (path.includes(cls.name)) throw new ApplicationError('circular_dependency', cls.name, [...path, cls.name].join(' -> '));
    if (this.apps.has(cls.name) || order.some((a) => a.constructor === cls)) return;
    const app = new cls() as Application<unknown>;
    if (typeof (app as { start?: unknown }).start !== 'function') throw new ApplicationError('bad_application', cls.name, 'not an Application (no start method)');
    for (const dep of dependenciesOf(app)) this.plan(dep, order, [...path, cls.name]);
    order.push(app);
  }

  private async startOne(app: Application<unknown>, type: ApplicationType, env: object | undefined, args: unknown): Promise<void> {
    const declared = (app as { env?: object }).env ?? {};
    (app as { env?: object }).env = Object.freeze({ ...declared, ...(env ?? {}) });
    const running = await new Promise<RunningApplication>((resolve, reject) => this.spawnMaster(app, type, args, resolve, reject));
    this.apps.set(app.name, running);
    if (logEnabled('info')) log.info('application started', { application: app.name, type, root: running.root.toString() });
  }

  /**
   * The application master: starts the app, then waits for a stop request or the
   * root's exit. The node's root process monitors it, so that a master killed at
   * any point (a halted node) still settles the start or the stop.
   */
  private spawnMaster(
    app: Application<unknown>,
    type: ApplicationType,
    args: unknown,
    resolve: (r: RunningApplication) => void,
    reject: (e: Error) => void,
  ): void {
    const name = app.name;
    let phase: 'starting' | 'running' | 'stopping' | 'done' = 'starting';
    let stopped: (reason: ExitReason) => void = () => undefined;
    const body = async (ctx: ProcessContext): Promise<void> => {
      ctx.trapExit(true);
      let root: Pid;
      try {
        root = await app.start(ctx, args);
        if (!(root instanceof Pid)) throw new TypeError(`start resolved with ${formatTerm(root)}; expected the root Pid`);
        // The root must be linked to the master, its parent: that is how it is told to
        // stop (a supervisor only obeys its parent's exit signal).
        const links = (ctx as Process).links;
        if (links === null || !links.has(root.key)) {
          if (this.node.isAlive(root)) ctx.exit(root, 'kill');
          throw new TypeError('start must start the root linked to the ctx it is given (startLinkSupervisor, Root.startLink), not unlinked (startSupervisor, Root.start)');
        }
      } catch (e) {
        phase = 'done';
        reject(new ApplicationError('start_failed', name, e));
        return;
      }
      const r: RunningApplication = {
        name, app, type, master: ctx.self, root, stopped: null,
        requestStop: () => (r.stopped ??= new Promise<ExitReason>((res) => {
          stopped = res;
          phase = 'stopping';
          this.node.send(ctx.self, STOP);
        })),
      };
      phase = 'running';
      resolve(r);
      const isRootExit = (m: unknown): m is ExitMessage => isExitMessage(m) && m.from.equals(root);
      const msg = await ctx.receive((m) => m === STOP || isRootExit(m));
      if (msg === STOP) ctx.exit(root, 'shutdown');
      const exit = msg === STOP ? ((await ctx.receive(isRootExit)) as ExitMessage) : (msg as ExitMessage);
      // requestStop (another closure) may have moved the phase on meanwhile.
      const wasStopping = (phase as string) === 'stopping';
      phase = 'done';
      if (wasStopping) stopped(exit.reason);
      else this.died(name, exit.reason);
    };
    const master = this.node.spawn(body, { label: `application_master ${name}` });
    const watch = new MasterWatch(this.node.root, this.node.newRefId(), master, (reason) => {
      if (phase === 'starting') reject(new ApplicationError('start_failed', name, reason));
      else if (phase === 'stopping') stopped(reason);
      else if (phase === 'running' && this.apps.get(name)?.master.equals(master) === true) this.apps.delete(name);
      phase = 'done';
    });
    this.node.monitorFrom(this.node.root, master, watch);
  }

  stop(name: string): Promise<void> {
    return this.serial(async () => {
      this.prune();
      if (!this.apps.has(name)) throw new ApplicationError('not_started', name);
      for (const dependent of this.dependentsOf(name).reverse()) await this.stopOne(dependent);
      await this.stopOne(name);
    });
  }

  stopAll(): Promise<void> {
    return this.serial(() => this.stopEverything());
  }

  private async stopEverything(): Promise<void> {
    this.prune();
    for (const name of [...this.apps.keys()].reverse()) await this.stopOne(name);
  }

  /** Running applications that depend on `name`, directly or not, in start order. */
  private dependentsOf(name: string): string[] {
    const out = new Set<string>([name]);
    for (const r of this.apps.values()) {
      if (dependenciesOf(r.app).some((d) => out.has(d.name))) out.add(r.name);
    }
    out.delete(name);
    return [...out];
  }

  private async stopOne(name: string): Promise<void> {
    const r = this.apps.get(name);
    if (r === undefined) return;
    const reason = await r.requestStop();
    this.apps.delete(name);
    await runStopHook(r);
    if (logEnabled('info')) log.info('application stopped', { application: name, reason: formatTerm(reason) });
  }

  /**
   * The root of `name` exited by itself: as OTP's application master, the app's
   * `stop()` runs (its tree is gone), then the death is reported and, for a
   * permanent application, the other applications stop and the node halts.
   */
  private died(name: string, reason: ExitReason): void {
    void this.serial(async () => {
      const r = this.apps.get(name);
      if (r === undefined) return;
      this.apps.delete(name);
      await runStopHook(r);
      const fatal = r.type === 'permanent' || (r.type === 'transient' && reason !== 'normal');
      if (reason === 'normal' ? logEnabled('info') : logEnabled('error')) {
        (reason === 'normal' ? log.info : log.error).call(log, 'application exited', { application: name, reason: formatTerm(reason), type: r.type });
      }
      if (!fatal) return;
      await this.stopEverything();
      if (logEnabled('error')) log.error('node stopping', { application: name, reason: formatTerm(reason) });
      this.node.halt();
      for (const l of [...this.listeners]) l({ application: name, reason });
    });
  }
}

/** The application's `stop()`, after its tree stopped; a throw is logged, never propagated. */
async function runStopHook(r: RunningApplication): Promise<void> {
  try {
    await r.app.stop();
  } catch (e) {
    log.error('application stop hook failed', { application: r.name, reason: formatTerm(e) });
  }
}

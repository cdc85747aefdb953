/**
 * The static supervisor process (OTP `supervisor.erl`): traps exits, starts its
 * children in order, and turns each child's EXIT into a plan from the pure
 * strategies (supervisor_strategy.ts) that one executor carries out.
 *
 * Steps and races:
 * - Start: children start one after the other, each `start(ctx)` awaited. One that
 *   fails stops those already started (last first) and the supervisor exits with
 *   `{ shutdown: { failedToStartChild: id, reason } }`; `'ignore'` keeps the spec
 *   without a process (a temporary child's spec is dropped).
 * - The supervisor links to every child it starts if `start` did not (so a plain
 *   spawn works); a child that died meanwhile then sends EXIT `noproc`, which is
 *   handled like any crash.
 * - While a plan runs (a start handshake, a child's shutdown) the process is
 *   suspended: EXITs and calls wait in the mailbox and are taken in order after.
 *   An EXIT for a pid that is no longer a child (stopped by the plan) is dropped.
 * - A restart that fails to start marks the child `restarting` and sends the
 *   supervisor a retry message (OTP's `try_again_restart`), which is counted as
 *   another restart, so a child that never starts ends in `shutdown`.
 * - An EXIT from the parent (the linked starter) stops every child, last first, and
 *   the supervisor exits with the parent's reason. An EXIT from any other process
 *   that is not a child is ignored, as OTP does; `stopSupervisor` (or
 *   `stopServer`) stops a supervisor that has no parent.
 *
 * The restart path (EXIT, plan, start) allocates the plan and makes no promise
 * besides the child's start handshake. Calls (the supervisor API) are answered in
 * supervisor_calls.ts.
 */
import type { CheckedChildSpec } from './child_spec';
import { shutdownChild } from './child_shutdown';
import { BadArgError, describe } from './errors';
import { isCleanExit, isExitMessage, type ExitReason } from './exit';
import { GenCall } from './gen';
import { getLogger } from './logger';
import { Pid } from './pid';
import { ProcessExit, type Process } from './process';
import type { CheckedFlags } from './supervisor_flags';
import { handleCall } from './supervisor_calls';
import { startFailure } from './supervisor_protocol';
import * as report from './supervisor_report';
import { RestartIntensity } from './restart_intensity';
import { planRestart, type StrategyAction, type StrategyChild, type StrategyEvent } from './supervisor_strategy';

const RETRY = '$supervisor_retry';

/** A child slot: its checked spec and its process, if any. @internal */
export class Child implements StrategyChild {
  pid: Pid | null = null;
  restarting = false;
  constructor(readonly spec: CheckedChildSpec) {}
  get id(): string {
    return this.spec.id;
  }
  get restart(): CheckedChildSpec['restart'] {
    return this.spec.restart;
  }
  get type(): CheckedChildSpec['type'] {
    return this.spec.type;
  }
  get significant(): boolean {
    return this.spec.significant;
  }
  get alive(): boolean {
    return this.pid !== null;
  }
}

/** A start result that is neither a pid nor 'ignore'. */
function badStartResult(id: string, v: unknown): BadArgError {
  return new BadArgError(`start of child ${JSON.stringify(id)} resolved with ${describe(v)}; expected a Pid or 'ignore'`, v);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** @internal one static supervisor's state and behaviour. */
export class SupervisorEngine {
  /** @internal */ readonly children: Child[] = [];
  /** @internal */ readonly byId = new Map<string, Child>();
  /** @internal */ readonly byPid = new Map<string, Child>();
  private readonly restarts: RestartIntensity;

  constructor(
    /** @internal */ readonly ctx: Process,
    private readonly parent: Pid | null,
    /** @internal */ readonly flags: CheckedFlags,
    private readonly label: string,
  ) {
    this.restarts = new RestartIntensity(flags.intensity, flags.periodMs);
  }

  /** How reports name this supervisor. */
  toString(): string {
    return this.ctx.name ?? `${this.label}${this.ctx.pid}`;
  }

  /** Starts the initial children in order; on a failure stops the started ones and exits. */
  async startAll(specs: readonly CheckedChildSpec[]): Promise<void> {
    for (const spec of specs) {
      const child = new Child(spec);
      let v: Pid | 'ignore';
      try {
        v = await this.invokeStart(child);
      } catch (e) {
        report.reportStartError(this, child, e);
        await this.terminateAll();
        throw new ProcessExit({ shutdown: { failedToStartChild: spec.id, reason: startFailure(e).reason } });
      }
      if (v === 'ignore' && spec.restart === 'temporary') continue;
      this.add(child);
      if (v !== 'ignore') this.started(child, v);
    }
  }

  /** The message handler. */
  readonly handle = (msg: unknown): void | Promise<unknown> => {
    if (isExitMessage(msg)) return this.onExit(msg.from, msg.reason);
    if (msg instanceof GenCall) return handleCall(this, msg);
    if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === RETRY) return this.onRetry((msg as { id: string }).id);
    getLogger('supervisor').warn('unexpected message', { supervisor: String(this), message: describe(msg) });
  };

  // ---- restarts ----

  private onExit(from: Pid, reason: ExitReason): void | Promise<unknown> {
    const child = this.byPid.get(from.key);
    if (child === undefined) {
      if (this.parent !== null && from.equals(this.parent)) return this.stopAll(reason);
      return;
    }
    this.byPid.delete(from.key);
    child.pid = null;
    if (child.restart === 'permanent' || !isCleanExit(reason)) report.reportTerminated(this, child, from, reason);
    return this.plan({ type: 'exit', child, reason });
  }

  private onRetry(id: string): void | Promise<unknown> {
    const child = this.byId.get(id);
    if (child === undefined || !child.restarting) return;
    return this.plan({ type: 'retry', child });
  }

  private plan(event: StrategyEvent<Child>): void | Promise<unknown> {
    const { strategy, autoShutdown } = this.flags;
    const actions = planRestart(strategy, autoShutdown, this.children, event, this.restarts, this.ctx.node.clock.now());
    const last = actions[actions.length - 1]!;
    if (last.do === 'shutdown') report.reportGivingUp(this, last.cause, event.child);
    else if (last.do === 'start') report.reportRestarting(this, strategy, event.child);
    return this.execute(actions, 0);
  }

  /** Carries out `actions` from `i` on; async only where a child must be stopped or started. */
  private execute(actions: StrategyAction<Child>[], i: number): void | Promise<unknown> {
    for (; i < actions.length; i++) {
      const a = actions[i]!;
      switch (a.do) {
        case 'forget':
          a.child.restarting = false;
          break;
        case 'remove':
          this.remove(a.child);
          break;
        case 'terminate': {
          const next = i + 1;
          return this.stopChild(a.child).then(() => this.execute(actions, next));
        }
        case 'start': {
          const r = this.restartOne(a.child);
          if (r === true) break;
          if (r === false) return;
          if (i + 1 === actions.length) return r;
          const next = i + 1;
          return r.then((ok) => (ok ? this.execute(actions, next) : undefined));
        }
        case 'shutdown':
          return this.stopAll('shutdown');
      }
    }
  }

  /** Starts `child` again: true (or a promise of it) when it runs or ignored, false when a retry was scheduled. */
  private restartOne(child: Child): boolean | Promise<boolean> {
    let r: unknown;
    try {
      r = child.spec.start(this.ctx);
    } catch (e) {
      return this.restartFailed(child, e);
    }
    if (!isThenable(r)) return this.restarted(child, r);
    // One restart at a time (the process is suspended until it settles): the child
    // rides in a field and the callbacks are allocated once per supervisor.
    this.inFlight = child;
    return Promise.resolve(r).then(this.onRestarted, this.onRestartFailed);
  }

  private inFlight: Child | null = null;
  private readonly onRestarted = (v: unknown): boolean => this.restarted(this.takeInFlight(), v);
  private readonly onRestartFailed = (e: unknown): false => this.restartFailed(this.takeInFlight(), e);

  private takeInFlight(): Child {
    const c = this.inFlight!;
    this.inFlight = null;
    return c;
  }

  private restarted(child: Child, v: unknown): boolean {
    if (v instanceof Pid) {
      this.started(child, v);
      return true;
    }
    if (v !== 'ignore') return this.restartFailed(child, badStartResult(child.id, v));
    child.restarting = false;
    return true;
  }

  private restartFailed(child: Child, e: unknown): false {
    report.reportStartError(this, child, e);
    child.restarting = true;
    this.ctx.send(this.ctx.self, { type: RETRY, id: child.id });
    return false;
  }

  // ---- children ----

  /** Runs a child's start, checking what it resolves with. */
  /** @internal */
  invokeStart(child: Child): Promise<Pid | 'ignore'> {
    let r: unknown;
    try {
      r = child.spec.start(this.ctx);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(r).then((v) => {
      if (v instanceof Pid || v === 'ignore') return v;
      throw badStartResult(child.id, v);
    });
  }

  /** Records a running child and makes sure it is linked. */
  /** @internal */
  started(child: Child, pid: Pid): void {
    child.pid = pid;
    child.restarting = false;
    this.byPid.set(pid.key, child);
    const links = this.ctx.links;
    if (links === null || !links.has(pid.key)) this.ctx.link(pid);
    report.reportStarted(this, child, pid);
  }

  /** @internal */
  add(child: Child): void {
    this.children.push(child);
    this.byId.set(child.id, child);
  }

  /** @internal */
  remove(child: Child): void {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    this.byId.delete(child.id);
    if (child.pid !== null) this.byPid.delete(child.pid.key);
  }

  /** Stops a running child per its shutdown spec and reports an unexpected ending. */
  /** @internal */
  stopChild(child: Child): Promise<void> {
    const pid = child.pid;
    child.restarting = false;
    if (pid === null) return Promise.resolve();
    this.byPid.delete(pid.key);
    child.pid = null;
    return shutdownChild(this.ctx, pid, child.spec.shutdown).then((s) => {
      if (!s.expected && !(s.reason === 'normal' && child.restart !== 'permanent')) report.reportShutdownError(this, child, pid, s.reason);
    });
  }

  /** Stops every child, last started first. */
  /** @internal */
  async terminateAll(): Promise<void> {
    for (let i = this.children.length - 1; i >= 0; i--) {
      const c = this.children[i]!;
      if (c.pid !== null) await this.stopChild(c);
    }
  }

  private async stopAll(reason: ExitReason): Promise<never> {
    await this.terminateAll();
    throw new ProcessExit(reason);
  }
}

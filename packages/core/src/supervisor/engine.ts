/**
 * The supervisor process (OTP `supervisor.erl`, a gen_server callback module whose
 * `simple_one_for_one` is the same process over another child store): a GenServer
 * that traps exits, links to each child it starts, turns a child's EXIT into a plan
 * from the pure strategies (strategy.ts) that one executor carries out, and stops
 * its children (children.ts) in `terminate`. The static and dynamic servers
 * (static_engine.ts, dynamic_engine.ts) keep the children and answer the API calls
 * with `@Call` handlers.
 *
 * Being a GenServer, it gets from the GenServer engine what every system process
 * shares: `stopSupervisor` / `stopServer` and the parent's EXIT run `terminate` (the
 * children stop) and end the process with the reason; a call no handler takes is
 * answered with an UnknownCallError; an abnormal end writes the one crash report;
 * introspection says `supervisor`. What no handler takes is logged in the
 * `supervisor` logger's words.
 *
 * Steps and races:
 * - The supervisor links to every child it starts if `start` did not (so a plain
 *   spawn works); a child that died meanwhile then sends EXIT `noproc`, which is
 *   handled like any crash.
 * - While a plan runs (a start handshake, a child's shutdown) the process is
 *   suspended: EXITs and calls wait in the mailbox and are taken in order after.
 *   An EXIT for a pid that is no longer a child (stopped by the plan) is dropped.
 * - A restart that fails to start marks the child `restarting` and sends the
 *   supervisor a retry message (OTP's `try_again_restart`), which is counted as
 *   another restart, so a child that never starts ends in `shutdown`. A restart
 *   that answers `'ignore'` leaves the child not running.
 * - Back-off (backoff.ts): a crash whose plan restarts something, for a child with
 *   a back-off (its own, or the supervisor's flag), runs the plan's stops at once and
 *   its starts after the delay: the children to start are marked `restarting`, the
 *   supervisor's own timer sends it a back-off message, and it stays responsive
 *   meanwhile. The restart is counted in the intensity window at crash time, like
 *   any other. A child stopped (terminateChild) or restarted by another plan before
 *   the delay ends is not started by it; the timer dies with the supervisor. A
 *   failed restart's retry waits the next delay.
 * - Only a linked starter is the parent, whose EXIT stops the supervisor. An EXIT
 *   from any other process that is not a child is ignored, as OTP does;
 *   `stopSupervisor` (or `stopServer`) stops a supervisor that has no parent.
 *
 * The restart path (EXIT, plan, start) allocates the plan and makes no promise
 * besides the child's start handshake (the GenServer engine waits for it and takes
 * its result without one of its own); none at all when the child's spec carries a
 * promise-free start (a GenServer's, see `kQuickStart`) and its start ends the plan:
 * the supervisor then parks (a {@link Park}) until the child's ack, which comes to
 * callbacks allocated once per supervisor.
 */
import { formatTerm } from '../errors';
import { Call, Info } from '../gen_server/decorators';
import { isThenable, Park } from '../gen_server/engine';
import type { InitResult, ServerAction } from '../gen_server/gen_server';
import { kKind, kQuickStart, type QuickStart, type ServerKind, type UnexpectedLog } from '../gen_server/start';
import { getLogger, logEnabled } from '../logger';
import { isCleanExit, isExitMessage } from '../runtime/exit';
import { Pid } from '../runtime/pid';
import { backoffDelay, type CheckedBackoff } from './backoff';
import type { CheckedFlags } from './child_spec';
import { badStartResult, SupervisorChildren, type SupervisedChild } from './children';
import type { ChildRestarts, RestartCounts, SupervisorReply } from './protocol';
import { planRestart, RestartIntensity, type StrategyAction, type StrategyEvent } from './strategy';

const RETRY = '$supervisor_retry';
const BACKOFF = '$supervisor_backoff';

const log = getLogger('supervisor');

/** What a supervisor's info handlers return: nothing, a plan in progress, or the way out. */
type Handled = void | ServerAction<never> | PromiseLike<unknown>;

/** @internal how a supervisor server starts: `make` runs in the new process and says what to supervise. */
export interface SupervisorStart<I> {
  readonly make: () => I;
  /** How reports name an unregistered supervisor (its class name, or `supervisor`). */
  readonly label: string;
}

/** The `supervisor` logger's words for what no handler takes, as before supervisors were GenServers. */
const warnUnexpected: UnexpectedLog = (sup, kind, msg) => {
  if (!logEnabled('warn')) return;
  if (kind === 'call') log.warn('unexpected call', { supervisor: String(sup), request: formatTerm(msg) });
  else log.warn('unexpected message', { supervisor: String(sup), message: formatTerm(msg) });
};

/**
 * @internal one supervisor: a GenServer whose infos are its children's EXITs and
 * its retry messages, whose terminate stops its children, and whose subclasses
 * keep the children and answer the API calls.
 */
export abstract class SupervisorServer<C extends SupervisedChild, I> extends SupervisorChildren<C> {
  /** Shown as `supervisor`, with its own words for what no handler takes. */
  static readonly [kKind]: ServerKind = { label: 'supervisor', unexpected: warnUnexpected };
  protected flags!: CheckedFlags;
  private restarts!: RestartIntensity;
  /** Restarts since it started, every child's (what observers show). */
  private restartTotal = 0;

  /** Traps exits, then sets up from what `make` says (a static supervisor starts its children). */
  override init(args: SupervisorStart<I>): InitResult {
    this.ctx.trapExit(true);
    this.label = args.label;
    return this.setup(args.make());
  }

  /** The children stop (last started first, or all at once), then the process exits with `reason`. */
  override terminate(): Promise<void> {
    return this.terminateAll();
  }

  /** What a crash report shows. */
  override formatState(): unknown {
    return { supervisor: String(this), strategy: this.flags?.strategy, running: this.byPid.size };
  }

  /** Checks the flags and what else `make` gave; starts the initial children. */
  protected abstract setup(init: I): void | Promise<void>;

  /** Takes checked flags: the strategy and the restart window. */
  protected configure(flags: CheckedFlags): void {
    this.flags = flags;
    this.restarts = new RestartIntensity(flags.intensity, flags.periodMs);
  }

  // ---- what an engine provides ----

  /** The child a retry message names, if it is still there. */
  protected abstract childByKey(key: unknown): C | undefined;
  /** Every child in start order, for the group strategies. */
  protected abstract inOrder(): readonly C[];
  /**
   * The child is not running and is not restarted now (its exit needs no restart,
   * its restart answered `'ignore'`, the supervisor gives up, or a group restart is
   * about to start it again): a static supervisor keeps its spec, a dynamic one
   * drops the child (it is only ever asked with one_for_one plans, which never
   * start a forgotten child again).
   */
  protected abstract forget(child: C): void;
  /** Drops the child for good. */
  protected abstract remove(child: C): void;
  /** Stops every running child. */
  protected abstract terminateAll(): Promise<void>;

  /** How often it restarted its children, in all and each (for observers and metrics). */
  @Call('restart_counts')
  restartCounts(): SupervisorReply {
    const children: ChildRestarts[] = this.inOrder().map((c) => ({ id: c.id, pid: c.pid ?? undefined, restarts: c.restarts }));
    return { ok: { total: this.restartTotal, children } satisfies RestartCounts };
  }

  // ---- restarts ----

  /** A child's EXIT (the parent's is the GenServer engine's: terminate); another process's is ignored, as OTP. */
  @Info('EXIT')
  onExit(msg: unknown): Handled {
    if (!isExitMessage(msg)) {
      this.handleInfo(msg);
      return;
    }
    const from = msg.from;
    const child = this.byPid.get(from.key);
    if (child === undefined) return;
    this.byPid.delete(from.key);
    child.pid = null;
    const reason = msg.reason;
    if (child.restart === 'permanent' || !isCleanExit(reason)) this.reportTerminated(child, from, reason);
    return this.plan({ type: 'exit', child, reason });
  }

  /** A back-off's delay is over: the starts it held back run, for the children still waiting on it. */
  @Info(BACKOFF)
  onBackoff(msg: { readonly token: number }): Handled {
    const actions = this.delayed.get(msg.token);
    if (actions === undefined) return;
    this.delayed.delete(msg.token);
    const due: StrategyAction<C>[] = [];
    for (const a of actions) {
      if (a.do !== 'start') due.push(a);
      else if (a.child.backoffToken === msg.token && a.child.restarting && this.childByKey(a.child.key) === a.child) {
        a.child.backoffToken = 0;
        due.push(a);
      }
    }
    return this.execute(due, 0, 0);
  }

  /** A restart that failed is tried again. */
  @Info(RETRY)
  onRetry(msg: { readonly key: unknown }): Handled {
    const child = this.childByKey(msg.key);
    if (child === undefined || !child.restarting) return;
    return this.plan({ type: 'retry', child });
  }

  private plan(event: StrategyEvent<C>): Handled {
    const { strategy, autoShutdown } = this.flags;
    const actions = planRestart(strategy, autoShutdown, this.inOrder(), event, this.restarts, this.proc.node.clock.now());
    const last = actions[actions.length - 1]!;
    // A retry already waited its delay (restartFailed).
    const delayMs = event.type === 'exit' && last.do === 'start' ? this.backoffFor(event.child, true) : 0;
    if (last.do === 'shutdown') this.reportGivingUp(last.cause, event.child);
    else if (last.do === 'start') this.reportRestarting(strategy, event.child, delayMs);
    return this.execute(actions, 0, delayMs);
  }

  /** The back-off delay before restarting `child` (0: at once); `crashed`: it ran, and may have run long enough to reset. */
  private backoffFor(child: C, crashed: boolean): number {
    const b = this.backoffOf(child);
    if (b === null) return 0;
    if (crashed && this.proc.node.clock.now() - child.startedAt >= b.resetAfterMs) child.crashes = 0;
    return backoffDelay(b, child.crashes++, Math.random());
  }

  protected backoffOf(child: C): CheckedBackoff | null {
    return child.spec.backoff ?? this.flags.backoff;
  }

  /** Plans whose starts wait out a back-off, by token. */
  private readonly delayed = new Map<number, StrategyAction<C>[]>();
  private nextToken = 1;

  /** Holds back the starts from `actions[i]` on for `delayMs`: their children show as restarting meanwhile. */
  private delay(actions: StrategyAction<C>[], i: number, delayMs: number): void {
    const token = this.nextToken++;
    const rest = actions.slice(i);
    for (const a of rest) {
      if (a.do !== 'start') continue;
      a.child.restarting = true;
      a.child.backoffToken = token;
    }
    this.delayed.set(token, rest);
    this.ctx.sendAfter(this.self, { type: BACKOFF, token }, delayMs);
  }

  /** Carries out `actions` from `i` on, the starts after `delayMs`; async only where a child must be stopped or started. */
  private execute(actions: StrategyAction<C>[], i: number, delayMs: number): Handled {
    for (; i < actions.length; i++) {
      const a = actions[i]!;
      switch (a.do) {
        case 'forget':
          a.child.restarting = false;
          this.forget(a.child);
          break;
        case 'remove':
          this.remove(a.child);
          break;
        case 'terminate': {
          const next = i + 1;
          return this.stopChild(a.child).then(() => this.execute(actions, next, delayMs));
        }
        case 'start': {
          if (delayMs > 0) {
            this.delay(actions, i, delayMs);
            return;
          }
          const last = i + 1 === actions.length;
          const r = this.restartOne(a.child, last);
          if (r === true) break;
          if (r === false) return;
          if (last) return r;
          const next = i + 1;
          return r.then((ok) => (ok ? this.execute(actions, next, 0) : undefined));
        }
        case 'shutdown':
          // The GenServer way out: terminate stops every child, then the process exits.
          return this.stopWith('shutdown');
      }
    }
  }

  /**
   * Starts `child` again: true (or a promise of it) when it runs or ignored, false
   * when a retry was scheduled. The `last` start of a plan, of a child whose spec
   * can start it without a promise (a GenServer's), answers a {@link Park} instead.
   */
  private restartOne(child: C, last: boolean): boolean | Promise<boolean> | Park {
    child.restarts++;
    this.restartTotal++;
    if (last) {
      const quick = (child.spec.start as QuickStart)[kQuickStart];
      if (quick !== undefined) return this.quickRestart(child, quick);
    }
    let r: unknown;
    try {
      r = child.launch(this.proc);
    } catch (e) {
      return this.restartFailed(child, e);
    }
    if (!isThenable(r)) return this.restarted(child, r);
    // One restart at a time (the process is suspended until it settles): the child
    // rides in a field and the callbacks are allocated once per supervisor.
    this.inFlight = child;
    return Promise.resolve(r).then(this.onRestarted, this.onRestartFailed);
  }

  private inFlight: C | null = null;
  private readonly onRestarted = (v: unknown): boolean => this.restarted(this.takeInFlight(), v);
  private readonly onRestartFailed = (e: unknown): false => this.restartFailed(this.takeInFlight(), e);

  /**
   * The restart without a promise: the child's start ack comes to the callbacks
   * below (allocated once per supervisor), which record the outcome and end the park
   * the supervisor waits on meanwhile (its messages wait, as behind a promise). A
   * park ended before it is returned (a start refused before it spawned) wakes the
   * supervisor at once.
   */
  private quickRestart(child: C, quick: NonNullable<QuickStart[typeof kQuickStart]>): Park {
    const park = new Park();
    this.inFlight = child;
    this.park = park;
    try {
      quick(this.proc, this.onQuickStarted, this.onQuickFailed);
    } catch (e) {
      if (this.park === park) this.onQuickFailed(e);
    }
    return park;
  }

  private park: Park | null = null;
  private readonly onQuickStarted = (v: unknown): void => this.quickAnswer(true, v);
  private readonly onQuickFailed = (e: unknown): void => this.quickAnswer(false, e);

  private quickAnswer(started: boolean, x: unknown): void {
    const park = this.park!;
    this.park = null;
    const child = this.takeInFlight();
    let ok: boolean;
    try {
      ok = started ? this.restarted(child, x) : this.restartFailed(child, x);
    } catch (e) {
      park.failed(e);
      return;
    }
    park.done(ok);
  }

  private takeInFlight(): C {
    const c = this.inFlight!;
    this.inFlight = null;
    return c;
  }

  private restarted(child: C, v: unknown): boolean {
    if (v instanceof Pid) {
      this.started(child, v);
      return true;
    }
    if (v !== 'ignore') return this.restartFailed(child, badStartResult(child, v));
    child.restarting = false;
    this.forget(child);
    return true;
  }

  private restartFailed(child: C, e: unknown): false {
    this.reportStartError(child, e);
    child.restarting = true;
    const delayMs = this.backoffFor(child, false);
    if (delayMs > 0) this.ctx.sendAfter(this.self, { type: RETRY, key: child.key }, delayMs);
    else this.ctx.send(this.self, { type: RETRY, key: child.key });
    return false;
  }
}

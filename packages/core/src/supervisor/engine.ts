/**
 * What every supervisor process does, static or dynamic (OTP `supervisor.erl`,
 * whose `simple_one_for_one` is the same loop over another child store): it traps
 * exits, links to each child it starts, turns a child's EXIT into a plan from the
 * pure strategies (strategy.ts) that one executor carries out, and stops its
 * children (shutdown.ts) before it exits. The engines (static_engine.ts,
 * dynamic_engine.ts) keep the children and answer the API calls.
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
 * - An EXIT from the parent (the linked starter) stops every child and the
 *   supervisor exits with the parent's reason. An EXIT from any other process that
 *   is not a child is ignored, as OTP does; `stopSupervisor` (or `stopServer`)
 *   stops a supervisor that has no parent.
 *
 * The restart path (EXIT, plan, start) allocates the plan and makes no promise
 * besides the child's start handshake.
 */
import { BadArgError, describe } from '../errors';
import { GenCall, reply } from '../gen';
import { isThenable, SystemStop, UnknownCallReply } from '../gen_server/engine';
import { getLogger, logEnabled } from '../logger';
import { isCleanExit, isExitMessage, type ExitReason } from '../runtime/exit';
import { Pid } from '../runtime/pid';
import { ProcessExit, type Process } from '../runtime/process';
import type { CheckedChildSpec, CheckedFlags, ChildType, RestartType, Shutdown } from './child_spec';
import { startFailure, type SupervisorReply } from './protocol';
import { shutdownChild, type Stopped } from './children';
import { planRestart, RestartIntensity, type StrategyAction, type StrategyChild, type StrategyEvent } from './strategy';

const RETRY = '$supervisor_retry';

const log = getLogger('supervisor');

/**
 * A child as the executor sees it: its checked spec (a dynamic child's template),
 * its process if it runs, and how to start it. @internal
 */
export abstract class SupervisedChild implements StrategyChild {
  pid: Pid | null = null;
  /** A restart failed and a retry message is on its way. */
  restarting = false;

  constructor(readonly spec: CheckedChildSpec) {}

  abstract readonly id: string;
  /** Names the child in a retry message (a term: the message is checked like any other). */
  abstract readonly key: string | number;
  /** Starts the child linked to `parent`: a pid or `'ignore'`, or a promise of one. */
  abstract launch(parent: Process): unknown;

  get restart(): RestartType {
    return this.spec.restart;
  }
  get type(): ChildType {
    return this.spec.type;
  }
  get shutdown(): Shutdown {
    return this.spec.shutdown;
  }
  get significant(): boolean {
    return this.spec.significant;
  }
  get alive(): boolean {
    return this.pid !== null;
  }
}

/** A start result that is neither a pid nor 'ignore'. */
function badStartResult(child: SupervisedChild, v: unknown): BadArgError {
  return new BadArgError(`start of child ${JSON.stringify(child.id)} resolved with ${describe(v)}; expected a Pid or 'ignore'`, v);
}

/** @internal one supervisor process's loop, restart executor and child bookkeeping. */
export abstract class SupervisorProcess<C extends SupervisedChild> {
  /** @internal running children by pid key */ readonly byPid = new Map<string, C>();
  private readonly restarts: RestartIntensity;

  constructor(
    /** @internal */ readonly ctx: Process,
    private readonly parent: Pid | null,
    /** @internal */ readonly flags: CheckedFlags,
    private readonly label: string,
  ) {
    this.restarts = new RestartIntensity(flags.intensity, flags.periodMs);
  }

  // ---- what an engine provides ----

  /** Answers a supervisor API call (`stopServer`'s request is answered here). */
  protected abstract handleCall(call: GenCall): void | Promise<unknown>;
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
  abstract remove(child: C): void;
  /** Stops every running child. */
  abstract terminateAll(): Promise<void>;

  /** How reports name this supervisor. */
  toString(): string {
    return this.ctx.name ?? `${this.label}${this.ctx.pid}`;
  }

  /** The message handler. */
  readonly handle = (msg: unknown): void | Promise<unknown> => {
    if (isExitMessage(msg)) return this.onExit(msg.from, msg.reason);
    if (msg instanceof GenCall) return msg.request instanceof SystemStop ? this.stopOnRequest(msg, msg.request.reason) : this.handleCall(msg);
    if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === RETRY) return this.onRetry((msg as { key: unknown }).key);
    log.warn('unexpected message', { supervisor: String(this), message: describe(msg) });
  };

  /** @internal answers an API call. */
  answer(call: GenCall, value: SupervisorReply): void {
    reply(this.ctx.node, call.from, value);
  }

  // ---- restarts ----

  private onExit(from: Pid, reason: ExitReason): void | Promise<unknown> {
    const child = this.byPid.get(from.key);
    if (child === undefined) {
      if (this.parent !== null && from.equals(this.parent)) return this.stopAll(reason);
      return;
    }
    this.byPid.delete(from.key);
    child.pid = null;
    if (child.restart === 'permanent' || !isCleanExit(reason)) this.reportTerminated(child, from, reason);
    return this.plan({ type: 'exit', child, reason });
  }

  private onRetry(key: unknown): void | Promise<unknown> {
    const child = this.childByKey(key);
    if (child === undefined || !child.restarting) return;
    return this.plan({ type: 'retry', child });
  }

  private plan(event: StrategyEvent<C>): void | Promise<unknown> {
    const { strategy, autoShutdown } = this.flags;
    const actions = planRestart(strategy, autoShutdown, this.inOrder(), event, this.restarts, this.ctx.node.clock.now());
    const last = actions[actions.length - 1]!;
    if (last.do === 'shutdown') this.reportGivingUp(last.cause, event.child);
    else if (last.do === 'start') this.reportRestarting(strategy, event.child);
    return this.execute(actions, 0);
  }

  /** Carries out `actions` from `i` on; async only where a child must be stopped or started. */
  private execute(actions: StrategyAction<C>[], i: number): void | Promise<unknown> {
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
  private restartOne(child: C): boolean | Promise<boolean> {
    let r: unknown;
    try {
      r = child.launch(this.ctx);
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
    this.ctx.send(this.ctx.self, { type: RETRY, key: child.key });
    return false;
  }

  // ---- children ----

  /** @internal runs a child's first start, checking what it resolves with. */
  invokeStart(child: C): Promise<Pid | 'ignore'> {
    let r: unknown;
    try {
      r = child.launch(this.ctx);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(r).then((v) => {
      if (v instanceof Pid || v === 'ignore') return v;
      throw badStartResult(child, v);
    });
  }

  /**
   * @internal starts `child` for an API call: `record` keeps it once it runs (or
   * ignored); resolves with the reply, an error term when the start failed.
   */
  startForCall(child: C, record: (v: Pid | 'ignore') => void): Promise<SupervisorReply> {
    return this.invokeStart(child).then(
      (v): SupervisorReply => {
        record(v);
        return { ok: v };
      },
      (e: unknown): SupervisorReply => {
        this.reportStartError(child, e);
        return { error: startFailure(e) };
      },
    );
  }

  /** @internal records a running child and makes sure it is linked. */
  started(child: C, pid: Pid): void {
    child.pid = pid;
    child.restarting = false;
    this.byPid.set(pid.key, child);
    const links = this.ctx.links;
    if (links === null || !links.has(pid.key)) this.ctx.link(pid);
    this.reportStarted(child, pid);
  }

  /** @internal stops a running child per its shutdown spec and reports an unexpected ending. */
  stopChild(child: C): Promise<void> {
    const pid = child.pid;
    child.restarting = false;
    if (pid === null) return Promise.resolve();
    this.byPid.delete(pid.key);
    child.pid = null;
    return shutdownChild(this.ctx, pid, child.shutdown).then((s) => this.stopped(child, pid, s));
  }

  /** @internal reports a child that, told to stop, ended another way (a non-permanent one may end `normal`, as OTP). */
  stopped(child: C, pid: Pid, s: Stopped): void {
    if (!s.expected && !(s.reason === 'normal' && child.restart !== 'permanent')) this.reportShutdownError(child, pid, s.reason);
  }

  /** @internal a call no supervisor takes: logged, and the caller gets an UnknownCallError rather than a wait for its timeout. */
  unexpectedCall(call: GenCall): void {
    log.warn('unexpected call', { supervisor: String(this), request: describe(call.request) });
    reply(this.ctx.node, call.from, new UnknownCallReply(call.request, this.ctx.pid));
  }

  private async stopAll(reason: ExitReason): Promise<never> {
    await this.terminateAll();
    throw new ProcessExit(reason);
  }

  /** `stopSupervisor` / `stopServer`: children first, then answer and exit. */
  private async stopOnRequest(call: GenCall, reason: ExitReason): Promise<never> {
    await this.terminateAll();
    reply(this.ctx.node, call.from, 'ok');
    throw new ProcessExit(reason);
  }

  // ---- reports ----
  //
  // OTP's supervisor and progress reports, structured, through the `supervisor`
  // logger: child started (debug), child terminated with its reason (error, as OTP's
  // `child_terminated`), restarting (info), start and shutdown errors, and the
  // supervisor giving up (error). Each checks the level first, so a silenced logger
  // costs one comparison on the restart path.

  /** A child was started (or restarted). */
  private reportStarted(child: C, pid: Pid): void {
    if (!logEnabled('debug')) return;
    log.debug('child started', { supervisor: String(this), child: child.id, pid: pid.toString(), restart: child.restart, type: child.type });
  }

  /** A child terminated by itself. */
  private reportTerminated(child: C, pid: Pid, reason: unknown): void {
    if (!logEnabled('error')) return;
    log.error('child terminated', { supervisor: String(this), child: child.id, pid: pid.toString(), reason: describe(reason), restart: child.restart });
  }

  /** The strategy restarts a child (and perhaps its siblings). */
  private reportRestarting(strategy: string, child: C): void {
    if (!logEnabled('info')) return;
    log.info('restarting', { supervisor: String(this), child: child.id, strategy });
  }

  /** @internal a child failed to start (at supervisor start, on a restart, or by startChild). */
  reportStartError(child: C, reason: unknown): void {
    if (!logEnabled('error')) return;
    log.error('child start failed', { supervisor: String(this), child: child.id, reason: describe(reason) });
  }

  /** A child, told to stop, ended with another reason than the one asked for. */
  private reportShutdownError(child: C, pid: Pid, reason: unknown): void {
    if (!logEnabled('error')) return;
    log.error('child shutdown error', { supervisor: String(this), child: child.id, pid: pid.toString(), reason: describe(reason) });
  }

  /** The supervisor gives up: too many restarts, or a significant child ended. */
  private reportGivingUp(cause: string, child: C): void {
    if (!logEnabled('error')) return;
    const what = cause === 'auto_shutdown' ? 'significant child terminated, shutting down' : 'reached max restart intensity, shutting down';
    log.error(what, { supervisor: String(this), child: child.id, cause });
  }
}

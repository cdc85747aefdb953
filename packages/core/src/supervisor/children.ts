/**
 * A supervisor's dealings with each of its children: the child slot, starting a
 * child (checking what its start resolves with), recording it (linked to the
 * supervisor), stopping it the OTP way, and the reports about it. The restart
 * executor (engine.ts) and the static and dynamic supervisors build on these.
 *
 * Stopping a child (OTP `supervisor:shutdown/2`, `monitor_child/1`):
 * 1. Monitor the child, then unlink it: from here on its death reaches the
 *    supervisor as a DOWN (with the real reason), never as an EXIT that the
 *    supervisor would take for a crash to restart.
 * 2. If the child died before the unlink, its EXIT may already sit in the mailbox:
 *    take it, and the DOWN that follows; the child stopped by itself.
 * 3. `brutal_kill`: exit signal `kill`. Otherwise exit signal `shutdown`, then wait
 *    for the DOWN for at most the shutdown time (`infinity`: for ever) and send `kill`
 *    when it does not come.
 *
 * A dynamic supervisor stops all its children at once: the same steps, each phase
 * done for every child before the next.
 */
import { BadArgError, formatTerm } from '../errors';
import { kState } from '../gen_server/engine';
import { GenServer } from '../gen_server/gen_server';
import { getLogger, logEnabled } from '../logger';
import { TIMEOUT, type ProcessContext } from '../runtime/context';
import { isDownMessage, isExitMessage, type DownMessage, type ExitReason } from '../runtime/exit';
import { Pid } from '../runtime/pid';
import type { Process } from '../runtime/process';
import type { Ref } from '../runtime/ref';
import type { CheckedBackoff } from './backoff';
import type { CheckedChildSpec, ChildType, RestartType, Shutdown } from './child_spec';
import { startFailure, type SupervisorReply } from './protocol';
import type { StrategyChild } from './strategy';

const log = getLogger('supervisor');

/**
 * A child as the executor sees it: its checked spec (a dynamic child's template),
 * its process if it runs, and how to start it. @internal
 */
export abstract class SupervisedChild implements StrategyChild {
  pid: Pid | null = null;
  /** The pid it last ran as: a dynamic child waiting for a retried restart is still named by it (OTP). */
  lastPid: Pid | null = null;
  /** A restart failed and a retry message is on its way, or a back-off delays the restart. */
  restarting = false;
  /** Times the supervisor restarted it (retries of a failed restart count too). */
  restarts = 0;
  /** Back-off: consecutive crashes so far, when it last started, and the pending delayed restart (0: none). */
  crashes = 0;
  startedAt = 0;
  backoffToken = 0;

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

/**
 * @internal running children by pid key: a Map that never empties. V8 reallocates a
 * Map's table when its last entry goes and again on the next set, which a
 * supervisor of one child would do on every restart; one permanent entry, under a
 * key no pid has, keeps the table.
 */
export class ChildrenByPid<C> {
  private readonly map = new Map<string, C>([['', undefined as C]]);

  get(key: string): C | undefined {
    return this.map.get(key);
  }
  set(key: string, child: C): void {
    this.map.set(key, child);
  }
  delete(key: string): boolean {
    return key !== '' && this.map.delete(key);
  }
  get size(): number {
    return this.map.size - 1;
  }
  /** The running children, in the order they started. */
  values(): C[] {
    const out: C[] = [];
    for (const [key, child] of this.map) if (key !== '') out.push(child);
    return out;
  }
  clear(): void {
    this.map.clear();
    this.map.set('', undefined as C);
  }
}

/** @internal a start result that is neither a pid nor 'ignore'. */
export function badStartResult(child: SupervisedChild, v: unknown): BadArgError {
  return new BadArgError(`start of child ${JSON.stringify(child.id)} resolved with ${formatTerm(v)}; expected a Pid or 'ignore'`, v);
}

/**
 * @internal a supervisor's children as a GenServer keeps them: the running ones by
 * pid, and what it does with each.
 */
export abstract class SupervisorChildren<C extends SupervisedChild> extends GenServer {
  /** @internal running children by pid key */ readonly byPid = new ChildrenByPid<C>();
  /** How reports name an unregistered supervisor. */
  protected label = 'supervisor';

  /** How reports name this supervisor. */
  override toString(): string {
    return this.proc.name ?? `${this.label}${this.self}`;
  }

  /** The back-off that delays `child`'s restarts (its own, or the supervisor's), if any. */
  protected abstract backoffOf(child: C): CheckedBackoff | null;

  /** The process (every context is one). */
  protected get proc(): Process {
    return this[kState].ctx;
  }

  /** Runs a child's first start, checking what it resolves with. */
  protected invokeStart(child: C): Promise<Pid | 'ignore'> {
    let r: unknown;
    try {
      r = child.launch(this.proc);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(r).then((v) => {
      if (v instanceof Pid || v === 'ignore') return v;
      throw badStartResult(child, v);
    });
  }

  /**
   * Starts `child` for an API call: `record` keeps it once it runs (or ignored);
   * resolves with the reply, an error term when the start failed.
   */
  protected startForCall(child: C, record: (v: Pid | 'ignore') => void): Promise<SupervisorReply> {
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

  /** Records a running child and makes sure it is linked. */
  protected started(child: C, pid: Pid): void {
    child.pid = pid;
    child.lastPid = pid;
    child.restarting = false;
    // Only a back-off asks how long the child ran (a clock read saved on every other restart).
    if (this.backoffOf(child) !== null) child.startedAt = this.proc.node.clock.now();
    this.byPid.set(pid.key, child);
    const links = this.proc.links;
    if (links === null || !links.has(pid.key)) this.ctx.link(pid);
    this.reportStarted(child, pid);
  }

  /**
   * The answer to `terminateChild` of a pid that is no running child: ok when it is a
   * local process that is no longer alive (as OTP: a child that ended by itself a
   * moment ago is as terminated as asked), `not_found` for a live process or a pid on
   * another node (whether it lives cannot be told here).
   */
  protected notRunningPid(pid: Pid): SupervisorReply {
    const node = this.proc.node;
    return node.isLocal(pid) && !node.isAlive(pid) ? { ok: true } : { error: { code: 'not_found' } };
  }

  /** Stops a running child per its shutdown spec and reports an unexpected ending. */
  protected stopChild(child: C): Promise<void> {
    const pid = child.pid;
    child.restarting = false;
    // A restart the back-off still delays is off: the child is stopped.
    child.backoffToken = 0;
    if (pid === null) return Promise.resolve();
    this.byPid.delete(pid.key);
    child.pid = null;
    return shutdownChild(this.ctx, pid, child.shutdown).then((s) => this.stopped(child, pid, s));
  }

  /** Reports a child that, told to stop, ended another way (a non-permanent one may end `normal`, as OTP). */
  protected stopped(child: C, pid: Pid, s: Stopped): void {
    if (!s.expected && !(s.reason === 'normal' && child.restart !== 'permanent')) this.reportShutdownError(child, pid, s.reason);
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
  protected reportTerminated(child: C, pid: Pid, reason: unknown): void {
    if (!logEnabled('error')) return;
    log.error('child terminated', { supervisor: String(this), child: child.id, pid: pid.toString(), reason: formatTerm(reason), restart: child.restart });
  }

  /** The strategy restarts a child (and perhaps its siblings), after a back-off's delay when `delayMs` > 0. */
  protected reportRestarting(strategy: string, child: C, delayMs = 0): void {
    if (!logEnabled('info')) return;
    if (delayMs > 0) log.info('restarting', { supervisor: String(this), child: child.id, strategy, delayMs: Math.round(delayMs) });
    else log.info('restarting', { supervisor: String(this), child: child.id, strategy });
  }

  /** A child failed to start (at supervisor start, on a restart, or by startChild). */
  protected reportStartError(child: C, reason: unknown): void {
    if (!logEnabled('error')) return;
    log.error('child start failed', { supervisor: String(this), child: child.id, reason: formatTerm(reason) });
  }

  /** A child, told to stop, ended with another reason than the one asked for. */
  private reportShutdownError(child: C, pid: Pid, reason: unknown): void {
    if (!logEnabled('error')) return;
    log.error('child shutdown error', { supervisor: String(this), child: child.id, pid: pid.toString(), reason: formatTerm(reason) });
  }

  /** The supervisor gives up: too many restarts, or a significant child ended. */
  protected reportGivingUp(cause: string, child: C): void {
    if (!logEnabled('error')) return;
    const what = cause === 'auto_shutdown' ? 'significant child terminated, shutting down' : 'reached max restart intensity, shutting down';
    log.error(what, { supervisor: String(this), child: child.id, cause });
  }
}

// ---- stopping children ----

/** How a child ended when told to stop. */
export interface Stopped {
  readonly reason: ExitReason;
  /** The reason is the one asked for (`shutdown`, or `killed` after brutal_kill), or the child was already gone. */
  readonly expected: boolean;
}

const ALREADY_GONE: Stopped = { reason: 'noproc', expected: true };

/** Steps 1-2: monitor and unlink; the early exit reason when it was already dead. */
async function detach(sup: ProcessContext, pid: Pid): Promise<{ ref: Ref; early: Stopped | null }> {
  const ref = sup.monitor(pid);
  sup.unlink(pid);
  const exit = await sup.receive((m) => isExitMessage(m) && m.from.equals(pid), 0);
  if (exit === TIMEOUT) return { ref, early: null };
  await sup.receive((m) => isDownMessage(m, ref));
  const reason = (exit as { reason: ExitReason }).reason;
  return { ref, early: { reason, expected: reason === 'normal' || reason === 'shutdown' } };
}

function waitDown(sup: ProcessContext, ref: Ref, timeoutMs?: number): Promise<DownMessage | typeof TIMEOUT> {
  const match = (m: unknown): m is DownMessage => isDownMessage(m, ref);
  return timeoutMs === undefined ? sup.receive(match) : sup.receive(match, timeoutMs);
}

function outcome(reason: ExitReason, asked: 'shutdown' | 'killed'): Stopped {
  return reason === 'noproc' ? ALREADY_GONE : { reason, expected: reason === asked };
}

/** Stops one child per its shutdown spec; resolves with how it ended. */
export async function shutdownChild(sup: ProcessContext, pid: Pid, shutdown: Shutdown): Promise<Stopped> {
  const { ref, early } = await detach(sup, pid);
  if (early !== null) return early;
  if (shutdown === 'brutal_kill') {
    sup.exit(pid, 'kill');
    return outcome(((await waitDown(sup, ref)) as DownMessage).reason, 'killed');
  }
  sup.exit(pid, 'shutdown');
  const down = await waitDown(sup, ref, shutdown === 'infinity' ? undefined : shutdown);
  if (down !== TIMEOUT) return outcome(down.reason, 'shutdown');
  sup.exit(pid, 'kill');
  // Killed because it did not stop in time: reported, as OTP does.
  return { reason: ((await waitDown(sup, ref)) as DownMessage).reason, expected: false };
}

/**
 * Stops many children at once: all are told to stop, then the supervisor waits (at
 * most each child's shutdown time, counted from the start) and kills the rest.
 * `shutdown` is every child's, or one per child. Resolves with each child's
 * outcome, in the order given.
 */
export async function shutdownChildren(sup: ProcessContext, pids: readonly Pid[], shutdown: Shutdown | readonly Shutdown[]): Promise<Stopped[]> {
  const shutdownOf = (i: number): Shutdown => (Array.isArray(shutdown) ? (shutdown as readonly Shutdown[])[i]! : (shutdown as Shutdown));
  const detached = [];
  for (const pid of pids) detached.push(await detach(sup, pid));
  const results: (Stopped | null)[] = detached.map((d) => d.early);
  for (let i = 0; i < pids.length; i++) if (results[i] === null) sup.exit(pids[i]!, shutdownOf(i) === 'brutal_kill' ? 'kill' : 'shutdown');
  const clock = sup.node.clock;
  const t0 = clock.now();
  const deadlines = pids.map((_, i) => {
    const s = shutdownOf(i);
    return typeof s === 'number' ? t0 + s : Infinity;
  });
  // The nearest deadline first, so that no wait runs past another child's.
  const order = pids.map((_, i) => i);
  if (Array.isArray(shutdown)) order.sort((x, y) => deadlines[x]! - deadlines[y]!);
  for (const i of order) {
    if (results[i] !== null) continue;
    const asked = shutdownOf(i) === 'brutal_kill' ? 'killed' : 'shutdown';
    const deadline = deadlines[i]!;
    const left = deadline === Infinity ? undefined : Math.max(0, Math.ceil(deadline - clock.now()));
    const down = await waitDown(sup, detached[i]!.ref, left);
    if (down !== TIMEOUT) {
      results[i] = outcome(down.reason, asked);
      continue;
    }
    sup.exit(pids[i]!, 'kill');
    results[i] = { reason: ((await waitDown(sup, detached[i]!.ref)) as DownMessage).reason, expected: false };
  }
  return results as Stopped[];
}

/**
 * Supervisor strategies as pure functions: from (children, restart window, event) to
 * a list of actions that the supervisor's one executor performs in order
 * (OTP `supervisor:restart/3`, `do_restart/4`, `child_to_spec` bookkeeping).
 *
 * - one_for_one: restart the child that terminated.
 * - one_for_all: terminate every other running child (last started first), then
 *   start all of them again in start order.
 * - rest_for_one: terminate the children started after it (last first), then start
 *   it and them again in start order.
 *
 * Whether to restart at all comes first: permanent always, transient only after an
 * abnormal exit (not `normal`, `shutdown` or `{shutdown, _}`), temporary never (its
 * spec is removed, also when a sibling's restart terminates it). A child that is not
 * restarted may end the supervisor when it is significant (`autoShutdown`). Every
 * restart is counted in the restart window; one too many and the plan is to shut
 * down. As OTP does, a group restart also starts siblings that were not running
 * (stopped by `terminateChild`, or transient children that had exited normally).
 *
 * The only state touched is the restart window passed in (the restart intensity,
 * below: a sliding window of restart times), so strategies are tested as tables
 * without processes.
 */
import { isCleanExit, type ExitReason } from '../runtime/exit';
import type { AutoShutdown, RestartType } from './child_spec';

/** A restart strategy of a static supervisor. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** What a strategy needs to know about a child. */
export interface StrategyChild {
  readonly id: string;
  readonly restart: RestartType;
  readonly significant: boolean;
  /** The child has a live process (which a group restart must terminate first). */
  readonly alive: boolean;
}

/** Something that happened to a child. */
export type StrategyEvent<C> =
  /** The child's process terminated by itself with `reason`. */
  | { readonly type: 'exit'; readonly child: C; readonly reason: ExitReason }
  /** An earlier restart of the child failed to start it: try again (counts as a restart). */
  | { readonly type: 'retry'; readonly child: C };

/** Why a supervisor shuts itself down. */
export type ShutdownCause = 'reached_max_restart_intensity' | 'auto_shutdown';

/** One step for the executor. */
export type StrategyAction<C> =
  /** Stop a running child according to its shutdown spec. */
  | { readonly do: 'terminate'; readonly child: C }
  /** The child is not running any more; keep its spec. */
  | { readonly do: 'forget'; readonly child: C }
  /** Delete the child's spec (temporary children). */
  | { readonly do: 'remove'; readonly child: C }
  /** Start the child; on failure the executor stops here and schedules a `retry`. */
  | { readonly do: 'start'; readonly child: C }
  /** Terminate all children, last started first, and exit with `shutdown`. */
  | { readonly do: 'shutdown'; readonly cause: ShutdownCause };

/** True when a child that exited with `reason` must be restarted. */
export function mustRestart(restart: RestartType, reason: ExitReason): boolean {
  return restart === 'permanent' || (restart === 'transient' && !isCleanExit(reason));
}

/**
 * The plan for `event`. `children` is in start order and includes the event's child;
 * `restarts` is charged one restart when the plan restarts anything.
 */
export function planRestart<C extends StrategyChild>(
  strategy: Strategy,
  autoShutdown: AutoShutdown,
  children: readonly C[],
  event: StrategyEvent<C>,
  restarts: RestartIntensity,
  now: number,
): StrategyAction<C>[] {
  const child = event.child;
  if (event.type === 'exit' && !mustRestart(child.restart, event.reason)) {
    const actions: StrategyAction<C>[] = [{ do: child.restart === 'temporary' ? 'remove' : 'forget', child }];
    if (child.significant && autoShutdownNow(autoShutdown, children, child)) actions.push({ do: 'shutdown', cause: 'auto_shutdown' });
    return actions;
  }
  if (!restarts.add(now)) return [{ do: 'forget', child }, { do: 'shutdown', cause: 'reached_max_restart_intensity' }];
  switch (strategy) {
    case 'one_for_one':
      return [{ do: 'start', child }];
    case 'one_for_all':
      return restartGroup(children, 0, child);
    case 'rest_for_one':
      return restartGroup(children, children.indexOf(child), child);
  }
}

/** Terminate children[from..] other than `failed` (last first), drop temporary ones, start the rest in order. */
function restartGroup<C extends StrategyChild>(children: readonly C[], from: number, failed: C): StrategyAction<C>[] {
  const actions: StrategyAction<C>[] = [{ do: 'forget', child: failed }];
  for (let i = children.length - 1; i >= from; i--) {
    const c = children[i]!;
    if (c === failed) continue;
    if (c.alive) actions.push({ do: 'terminate', child: c });
    if (c.restart === 'temporary') actions.push({ do: 'remove', child: c });
  }
  for (let i = from; i < children.length; i++) {
    const c = children[i]!;
    if (c === failed || c.restart !== 'temporary') actions.push({ do: 'start', child: c });
  }
  return actions;
}

/** Should the supervisor stop now that significant child `gone` terminated? */
function autoShutdownNow<C extends StrategyChild>(autoShutdown: AutoShutdown, children: readonly C[], gone: C): boolean {
  if (autoShutdown === 'any_significant') return true;
  if (autoShutdown === 'never') return false;
  for (const c of children) if (c !== gone && c.significant && c.alive) return false;
  return true;
}

// ---- restart intensity ----

/**
 * Restart intensity: at most `intensity` restarts within any `periodMs` window
 * (OTP `supervisor:add_restart/1`). One more and the supervisor gives up.
 *
 * The restart times sit in a ring that grows to at most `intensity + 1` entries;
 * each `add` drops the times that left the window from the front and appends `now`,
 * so a restart costs O(1) amortised however long the log is, and no array is
 * copied per restart.
 */
export class RestartIntensity {
  private ring: number[] = [];
  private head = 0;
  private count = 0;

  constructor(
    /** Restarts allowed within the window (0: the first restart is one too many). */
    readonly intensity: number,
    /** Width of the window in milliseconds. */
    readonly periodMs: number,
  ) {}

  /**
   * Records a restart at `now` (ms, monotonic). False when that makes more than
   * `intensity` restarts within the last `periodMs` (inclusive, as OTP): the
   * supervisor must shut down.
   */
  add(now: number): boolean {
    const threshold = now - this.periodMs;
    let ring = this.ring;
    while (this.count > 0 && ring[this.head]! < threshold) {
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
      this.count--;
    }
    if (this.count === ring.length) ring = this.grow();
    let tail = this.head + this.count;
    if (tail >= ring.length) tail -= ring.length;
    ring[tail] = now;
    this.count++;
    return this.count <= this.intensity;
  }

  /** Restarts currently inside the window (as of the last `add`). */
  get size(): number {
    return this.count;
  }

  /** Doubles the ring (capped at intensity + 1: older entries can never matter), keeping order. */
  private grow(): number[] {
    const ring = this.ring;
    const cap = Math.min(Math.max(4, ring.length * 2), this.intensity + 1);
    if (cap <= ring.length) {
      // Full at intensity + 1: the oldest entry is beyond the limit anyway; drop it.
      this.head = this.head + 1 === ring.length ? 0 : this.head + 1;
      this.count--;
      return ring;
    }
    const next = new Array<number>(cap);
    for (let i = 0; i < this.count; i++) {
      let j = this.head + i;
      if (j >= ring.length) j -= ring.length;
      next[i] = ring[j]!;
    }
    this.ring = next;
    this.head = 0;
    return next;
  }
}

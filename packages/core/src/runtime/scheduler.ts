/**
 * Runs processes cooperatively on the event loop.
 *
 * A process with work (a pending start, exit signals, or messages for a handler
 * process) sits once in the run queue. A drain takes processes in FIFO order; each
 * runs its signals first, then up to `processBudget` messages, then goes to the back
 * of the queue if it still has work. The first drain after the loop was idle runs as
 * a microtask (lowest latency for call round trips); once `turnBudget` units of work
 * have been done in one event-loop turn, the rest waits for `setImmediate`, so I/O
 * (sockets, timers) is never starved by a busy node.
 *
 * No promise is created per message: a handler that returns synchronously is
 * dispatched synchronously; only a handler that returns a promise suspends its
 * process until the promise settles.
 */
import { formatTerm } from '../errors';
import { getLogger } from '../logger';
import { Ring } from './mailbox';
import type { Process } from './process';

const RESOLVED = Promise.resolve();
const log = getLogger('process');

export interface SchedulerOptions {
  /** Messages a process handles before it yields to others (about Erlang's 4000 reductions). Default 2000. */
  processBudget?: number;
  /** Work units per event-loop turn before the scheduler yields to I/O. Default 20,000. */
  turnBudget?: number;
}

export class Scheduler {
  readonly processBudget: number;
  readonly turnBudget: number;
  private readonly queue = new Ring<Process>(64);
  private armed = false;
  private armedMacro = false;
  private draining = false;
  /** Work done in the current event-loop turn. */
  private turnWork = 0;
  private resetArmed = false;
  /** Messages delivered so far: a running process is charged for the sends it makes, as Erlang charges reductions. */
  delivered = 0;
  /** What runs once the process running now returns (see {@link afterRun}). */
  private afterRunFns: Array<() => void> = [];

  /** Processes waiting for their turn to run (OTP's run queue length). */
  get runQueueLength(): number {
    return this.queue.length;
  }

  constructor(options: SchedulerOptions = {}) {
    this.processBudget = options.processBudget ?? 2000;
    this.turnBudget = options.turnBudget ?? 20_000;
  }

  /** @internal Puts `p` in the run queue unless it is there already. */
  enqueue(p: Process): void {
    if (p.queued) return;
    p.queued = true;
    this.queue.push(p);
    if (!this.armed && !this.draining) this.arm();
  }

  /** Counts `units` of work done outside the drain (resolved receives); true when the turn is over budget. */
  charge(units: number): boolean {
    this.turnWork += units;
    this.armReset();
    return this.turnWork >= this.turnBudget;
  }

  /**
   * A promise that resolves once the processes queued now have run: through the next
   * drain when this turn has budget left, else after the event loop's I/O.
   */
  yieldPoint(): Promise<void> {
    // A drain armed as a microtask runs before this promise's continuation; one
    // armed for the next turn (over budget) runs before this setImmediate.
    if (this.overBudget) return new Promise((resolve) => setImmediate(resolve));
    return Promise.resolve();
  }

  private arm(): void {
    this.armed = true;
    if (this.turnWork < this.turnBudget) {
      this.armReset();
      // A resolved promise's then is native; queueMicrotask wraps each callback for async context.
      RESOLVED.then(this.drain);
    } else {
      this.armedMacro = true;
      setImmediate(this.drainNextTurn);
    }
  }

  /**
   * Runs `fn` once the process running now returns from its run, before the next one
   * runs; outside a drain, after the current job (a microtask). For an output that
   * someone waits for: the distribution writes a call's reply to another node then,
   * rather than behind the rest of the turn's work.
   */
  afterRun(fn: () => void): void {
    if (this.draining) this.afterRunFns.push(fn);
    else queueMicrotask(fn);
  }

  private runAfterRun(): void {
    const fns = this.afterRunFns;
    this.afterRunFns = [];
    for (const fn of fns) {
      try {
        fn();
      } catch (e) {
        log.error(`scheduler: an after-run job threw ${formatTerm(e)}`);
      }
    }
  }

  /** Once per turn that does work: a check-phase callback that starts a new budget. */
  private armReset(): void {
    if (this.resetArmed) return;
    this.resetArmed = true;
    setImmediate(this.resetTurn);
  }

  private readonly resetTurn = (): void => {
    this.resetArmed = false;
    this.turnWork = 0;
  };

  private readonly drainNextTurn = (): void => {
    this.armedMacro = false;
    this.turnWork = 0;
    this.drain();
  };

  private readonly drain = (): void => {
    this.armed = false;
    this.draining = true;
    const budget = this.processBudget;
    try {
      let p: Process | undefined;
      while ((p = this.queue.shift()) !== undefined) {
        p.queued = false;
        try {
          this.turnWork += p.run(budget);
        } catch (e) {
          // A bug of the runtime's own, never a user's (their errors end their process): log it, run the others.
          log.error(`scheduler: running ${p.pid} threw ${formatTerm(e)}`);
        }
        if (this.afterRunFns.length > 0) this.runAfterRun();
        if (this.turnWork >= this.turnBudget) break;
      }
    } finally {
      if (this.afterRunFns.length > 0) this.runAfterRun();
      this.draining = false;
      if (this.queue.length > 0) this.arm();
    }
  };

  /**
   * True when this turn's budget is spent and the rest of the work waits for the
   * next event-loop turn: an input source (a socket) should pause until then, so
   * that reading never outruns dispatch (backpressure, as a busy Erlang port).
   */
  get overBudget(): boolean {
    return this.armedMacro || this.turnWork >= this.turnBudget;
  }

  /**
   * Runs `fn` once the work queued for the next turn has had its drain (for a
   * paused input source to resume: a socket that stopped reading while the node was over its budget).
   */
  afterNextDrain(fn: () => void): void {
    setImmediate(fn);
  }

  /** Processes waiting to run. */
  get length(): number {
    return this.queue.length;
  }
}

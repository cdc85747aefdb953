/**
 * A lightweight process: a mailbox, a body or a message handler, links, monitors,
 * timers, and the context methods it acts through.
 *
 * The `Process` object *is* the {@link ProcessContext} handed to user code (one object
 * per process keeps an idle process small). Fields are allocated lazily: an idle
 * process with no links, monitors, name or messages holds only nulls, and what few
 * processes use sits behind one field (see {@link Process} on memory).
 *
 * A process is either a *body* (an async function that runs once and uses `receive`)
 * or a *handler* process (a function called by the scheduler for each message; the
 * behaviours are built on these).
 *
 * What is sent to a process keeps its order (see signals.ts): while no exit signal
 * is pending, a message goes straight to the mailbox or to the waiting `receive`
 * (the fast path); behind a pending one, everything waits in the signal queue.
 */
import { BadArgError, formatTerm, ProcessExitedError } from '../errors';
import { TIMEOUT, type MessageHandler, type ProcessBody, type ProcessContext, type SpawnOptions, type Timeout, type TimeoutMs } from './context';
import type { ExitReason } from './exit';
import { Mailbox } from './mailbox';
import { offer, type MailboxBound } from './mailbox_bound';
import { Monitor, type CallerLink, type Watch } from './monitor';
import type { Node } from './node';
import type { Pid } from './pid';
import type { Ref } from './ref';
import type { Dest } from './registry';
import { drainSignals, ExitSignal, onUserError, Resume, terminate, type Signal } from './signals';
import type { Timer } from './timers';

/** Thrown by `ctx.exit(reason)`; ends the process with `reason` unless caught. */
export class ProcessExit {
  constructor(readonly reason: ExitReason) {}
}

/**
 * @internal a wait a handler can return instead of a promise, for an outcome that
 * comes by callback (a supervisor waiting for a child's start ack): the process
 * takes no message until the wait calls {@link Process.wake} (or `wakeFailed`), and
 * no promise or closure is made for it. Awaited elsewhere (`then`), it acts as a
 * promise of its own.
 */
export abstract class DirectWait implements PromiseLike<void> {
  /** `proc` (now busy) waits on it: it wakes it once the wait is over (at once if it is already). */
  abstract waitedBy(proc: Process): void;
  abstract then<A = void, B = never>(
    resume?: ((value: void) => A | PromiseLike<A>) | null,
    fail?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B>;
}

/** @internal a pending `receive`. */
export interface Waiter {
  match: ((msg: unknown) => boolean) | undefined;
  resolve: (msg: unknown) => void;
  timer: unknown;
}

/** Status of a process as introspection reports it. */
export type ProcessStatus = 'running' | 'runnable' | 'waiting';

/** Bits of {@link Process.flags}. */
const QUEUED = 1;
const BUSY = 2;
const ALIVE = 4;
const RUNNING = 8;
const TRAPPING = 16;
const REPORTED = 32;

/**
 * What a process holds only once it links, monitors, is monitored or called, takes a
 * name, starts a timer, has a bounded mailbox, is held by a busy connection or dies:
 * one object made on first use, so that an idle process pays one null field for all
 * of them (see {@link Process} on memory).
 */
class Relations {
  held: PromiseLike<void> | null = null;
  links: Map<string, Pid> | null = null;
  monitors: Map<number | string, Monitor> | null = null;
  monitoredBy: Map<number | string, Watch> | null = null;
  callers: CallerLink | null = null;
  name: string | null = null;
  timers: Set<Timer> | null = null;
  exitReason: ExitReason = undefined;
  bound: MailboxBound | null = null;
}

function isEmpty(r: Relations): boolean {
  return (
    r.held === null &&
    r.links === null &&
    r.monitors === null &&
    r.monitoredBy === null &&
    r.callers === null &&
    r.name === null &&
    r.timers === null &&
    r.exitReason === undefined &&
    r.bound === null
  );
}

/**
 * @internal
 *
 * Memory: a million idle processes should fit in a few hundred MB, so the object
 * keeps only what an idle process needs and what the message paths read: the six
 * booleans share one small-integer field (`flags`, read through accessors that
 * TurboFan inlines), and the rarely set fields live in one {@link Relations} object
 * made on first write of a non-null value (reads of an absent one give null).
 */
export class Process implements ProcessContext {
  private flags = ALIVE;
  mailbox: Mailbox | null = null;
  waiter: Waiter | null = null;
  /** Signals waiting behind an exit signal, in arrival order; null when none waits (see the header). */
  signals: Signal[] | null = null;
  /** What introspection shows as behaviour (`gen_server`, `supervisor`); else the function's name. */
  label: string | null;
  /** Messages a handler process took from its mailbox (added once per run, not per message). */
  handled = 0;
  private rel: Relations | null = null;

  constructor(
    readonly node: Node,
    readonly pid: Pid,
    public body: ProcessBody | null,
    public handler: MessageHandler | null,
    label: string | null,
  ) {
    this.label = label;
  }

  // ---- the flags ----

  /** In the scheduler's run queue. */
  get queued(): boolean {
    return (this.flags & QUEUED) !== 0;
  }
  set queued(on: boolean) {
    this.flags = on ? this.flags | QUEUED : this.flags & ~QUEUED;
  }

  /** Awaiting an async body or handler (see `suspend`). */
  get busy(): boolean {
    return (this.flags & BUSY) !== 0;
  }
  set busy(on: boolean) {
    this.flags = on ? this.flags | BUSY : this.flags & ~BUSY;
  }

  get alive(): boolean {
    return (this.flags & ALIVE) !== 0;
  }
  set alive(on: boolean) {
    this.flags = on ? this.flags | ALIVE : this.flags & ~ALIVE;
  }

  /** On the stack now (its handler runs). */
  get running(): boolean {
    return (this.flags & RUNNING) !== 0;
  }
  set running(on: boolean) {
    this.flags = on ? this.flags | RUNNING : this.flags & ~RUNNING;
  }

  get trapping(): boolean {
    return (this.flags & TRAPPING) !== 0;
  }
  set trapping(on: boolean) {
    this.flags = on ? this.flags | TRAPPING : this.flags & ~TRAPPING;
  }

  /** Set when a behaviour already logged this process's crash. */
  get reported(): boolean {
    return (this.flags & REPORTED) !== 0;
  }
  set reported(on: boolean) {
    this.flags = on ? this.flags | REPORTED : this.flags & ~REPORTED;
  }

  // ---- the relations (made on first use) ----

  private relations(): Relations {
    return (this.rel ??= new Relations());
  }

  /**
   * @internal drops the side object once nothing is left in it: a start's watch just
   * left the list of waiting callers, so a server it started keeps nothing of it
   * (as `monitoredBy`'s setter does for a monitor). Not done for every caller that
   * leaves: a server called again and again keeps its side object.
   */
  dropEmptyRelations(): void {
    if (this.rel !== null && isEmpty(this.rel)) this.rel = null;
  }

  /** Set while a busy connection this process sent on holds it (see `NodeInbound.suspend`). */
  get held(): PromiseLike<void> | null {
    return this.rel === null ? null : this.rel.held;
  }
  set held(v: PromiseLike<void> | null) {
    if (v !== null || this.rel !== null) this.relations().held = v;
  }

  get links(): Map<string, Pid> | null {
    return this.rel === null ? null : this.rel.links;
  }
  set links(v: Map<string, Pid> | null) {
    if (v !== null || this.rel !== null) this.relations().links = v;
  }

  get monitors(): Map<number | string, Monitor> | null {
    return this.rel === null ? null : this.rel.monitors;
  }
  set monitors(v: Map<number | string, Monitor> | null) {
    if (v !== null || this.rel !== null) this.relations().monitors = v;
  }

  get monitoredBy(): Map<number | string, Watch> | null {
    return this.rel === null ? null : this.rel.monitoredBy;
  }
  /** Set to null when its last local monitor goes (see `Node.dropMonitor`): a server once monitored by its starter keeps nothing of it. */
  set monitoredBy(v: Map<number | string, Watch> | null) {
    if (v !== null) this.relations().monitoredBy = v;
    else if (this.rel !== null) {
      this.rel.monitoredBy = null;
      if (isEmpty(this.rel)) this.rel = null;
    }
  }

  /** Local calls waiting on this process (see gen.ts). */
  get callers(): CallerLink | null {
    return this.rel === null ? null : this.rel.callers;
  }
  set callers(v: CallerLink | null) {
    // On every local call (joining and leaving the list): no call to relations() when they exist.
    const r = this.rel;
    if (r !== null) r.callers = v;
    else if (v !== null) this.relations().callers = v;
  }

  get name(): string | null {
    return this.rel === null ? null : this.rel.name;
  }
  set name(v: string | null) {
    if (v !== null || this.rel !== null) this.relations().name = v;
  }

  get timers(): Set<Timer> | null {
    return this.rel === null ? null : this.rel.timers;
  }
  set timers(v: Set<Timer> | null) {
    if (v !== null || this.rel !== null) this.relations().timers = v;
  }

  get exitReason(): ExitReason {
    return this.rel === null ? undefined : this.rel.exitReason;
  }
  set exitReason(v: ExitReason) {
    if (v !== undefined || this.rel !== null) this.relations().exitReason = v;
  }

  /** The limit of a bounded mailbox (spawn option `mailbox`); null (unbounded) for most. */
  get bound(): MailboxBound | null {
    return this.rel === null ? null : this.rel.bound;
  }
  set bound(v: MailboxBound | null) {
    if (v !== null || this.rel !== null) this.relations().bound = v;
  }

  get self(): Pid {
    return this.pid;
  }

  /** Aborted when the process dies, with its exit reason (made on first use, see {@link Node.abortSignalOf}). */
  get signal(): AbortSignal {
    return this.node.abortSignalOf(this);
  }

  get mailboxLength(): number {
    return this.mailbox === null ? 0 : this.mailbox.length;
  }

  // ---- delivery (called by the node) ----

  /**
   * A message sent to this process (send, cast, call, timers, other nodes): a bounded
   * mailbox may refuse it (see mailbox_bound.ts). What the runtime itself tells the
   * process (DOWN, EXIT, a behaviour's ticks) goes to {@link deliver} directly.
   */
  post(msg: unknown): void {
    if (this.bound === null) this.deliver(msg);
    else offer(this, this.bound, msg);
  }

  /** Puts a message in the mailbox or hands it to a waiting receive; behind a pending exit signal, queues it after it. */
  deliver(msg: unknown): void {
    if (!this.alive) return;
    if (this.signals !== null) {
      this.queueBehind(msg);
      return;
    }
    const w = this.waiter;
    if (w !== null) {
      let hit = true;
      if (w.match !== undefined) {
        try {
          hit = w.match(msg);
        } catch (e) {
          onUserError(this, e);
          return;
        }
      }
      if (hit) {
        this.waiter = null;
        if (w.timer !== null) this.node.clock.clearTimeout(w.timer);
        w.resolve(msg);
        return;
      }
    }
    const mb = (this.mailbox ??= new Mailbox());
    mb.push(msg);
    // The sender is charged for the send, twice when the receiver is a budget behind
    // (as Erlang's send penalty did): a producer cannot outrun its consumer for ever.
    const sched = this.node.scheduler;
    sched.delivered += mb.length > sched.processBudget ? 2 : 1;
    if (this.handler !== null && !this.busy && w === null) this.node.scheduler.enqueue(this);
  }

  /** A message that arrived behind a pending exit signal: it waits its turn in the signal queue. */
  private queueBehind(msg: unknown): void {
    this.signals!.push(msg);
    this.node.scheduler.delivered++;
  }

  /** Queues an exit signal; it is acted on when the process next runs, and what is sent after it waits behind it. */
  exitSignal(from: Pid, reason: ExitReason, link: boolean): void {
    if (!this.alive) return;
    const s = new ExitSignal(from, reason, link);
    // Sized for the one signal most queues ever hold (an empty array grows to 17 slots on its first push).
    if (this.signals === null) this.signals = [s];
    else this.signals.push(s);
    this.node.scheduler.enqueue(this);
  }

  /**
   * Resumes code of this process that awaits a Grove operation (a call's outcome, a
   * start's): `fn(x)` now, or behind the signals already queued for it, so that the
   * code never runs ahead of an exit signal sent before. A dead process is never
   * resumed, except the node's root (node-level callers always hear back).
   */
  resumeInOrder(fn: (x: unknown) => void, x: unknown): void {
    if (this.signals !== null) this.signals.push(new Resume(fn, x));
    else if (this.alive || this.node.isRoot(this)) fn(x);
  }

  // ---- scheduling (called by the scheduler) ----

  /** Runs signals, a pending start, then up to `budget` messages. Returns the work done. */
  run(budget: number): number {
    let work = 0;
    if (this.signals !== null) {
      work += drainSignals(this);
      if (!this.alive) return work;
    }
    if (this.body !== null) {
      const body = this.body;
      this.body = null;
      // Introspection reads the name of the function a process runs; keep a body's once it started.
      if (this.label === null && body.name !== '') this.label = body.name;
      this.startBody(body);
      return work + 1;
    }
    const h = this.handler;
    const mb = this.mailbox;
    if (h === null || mb === null || this.busy || this.held !== null || this.waiter !== null) return work;
    this.running = true;
    const sched = this.node.scheduler;
    const sentBefore = sched.delivered;
    const workBefore = work;
    try {
      while (mb.length > 0) {
        if (work + sched.delivered - sentBefore >= budget) {
          sched.enqueue(this);
          break;
        }
        work++;
        let r: void | PromiseLike<void>;
        try {
          r = h(mb.shift(), this);
        } catch (e) {
          onUserError(this, e);
          break;
        }
        if (r !== undefined && typeof (r as PromiseLike<void>).then === 'function') {
          this.suspend(r as PromiseLike<void>);
          break;
        }
        if (!this.alive || this.waiter !== null || this.signals !== null || this.held !== null) break;
      }
    } finally {
      this.running = false;
      this.handled += work - workBefore;
    }
    return work + sched.delivered - sentBefore;
  }

  /**
   * Runs the body. A process with a body only exits `normal` when the body returns;
   * one with a body and a handler (a behaviour: body = init) goes on to handle its
   * messages. Messages that arrive while an async body runs wait in the mailbox.
   */
  private startBody(body: ProcessBody): void {
    let r: unknown;
    try {
      r = body(this);
    } catch (e) {
      onUserError(this, e);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      this.suspend(r as PromiseLike<unknown>, this.handler === null);
    } else if (this.handler === null) {
      terminate(this, 'normal');
    } else {
      this.resume();
    }
  }

  /**
   * The process waits for `p` (an async body or handler) and handles nothing else
   * meanwhile; then it exits `normal` (`exitAfter`: a body with no handler) or goes
   * back to its mailbox. A rejection ends it with the error.
   */
  private suspend(p: PromiseLike<unknown>, exitAfter = false): void {
    this.busy = true;
    if (p instanceof DirectWait) {
      p.waitedBy(this);
      return;
    }
    p.then(
      () => this.wake(exitAfter),
      (e: unknown) => this.wakeFailed(e),
    );
  }

  /** @internal the suspension is over: exit `normal` (`exitAfter`: a body with no handler), else back to the mailbox. */
  wake(exitAfter: boolean): void {
    this.busy = false;
    if (!this.alive) return;
    if (exitAfter) terminate(this, 'normal');
    else this.resume();
  }

  /** @internal the suspension failed with `e`: it ends the process. */
  wakeFailed(e: unknown): void {
    this.busy = false;
    onUserError(this, e);
  }

  /**
   * Holds the process until `until` settles: a handler process takes no next message,
   * a body's next `yield()` waits (OTP suspends a process that sends on a busy
   * distribution port). A process already held keeps its first hold.
   */
  hold(until: PromiseLike<void>): void {
    if (this.held !== null || !this.alive) return;
    this.held = until;
    const release = (): void => {
      this.held = null;
      if (this.alive) this.resume();
    };
    until.then(release, release);
  }

  /** Back to the mailbox after a start or a suspension: run again if messages wait. */
  private resume(): void {
    if (this.mailbox !== null && this.mailbox.length > 0 && this.waiter === null) this.node.scheduler.enqueue(this);
  }

  /** @internal throws unless the process is alive (a body running after its process died). */
  ensureAlive(): void {
    if (!this.alive) throw new ProcessExitedError(this.pid, this.exitReason);
  }

  // ---- the context ----

  send(dest: Dest, msg: unknown): void {
    this.ensureAlive();
    this.node.sendFrom(this.pid, dest, msg);
  }

  receive<T = unknown>(match?: (msg: unknown) => msg is T): Promise<T>;
  receive<T = unknown>(match: ((msg: unknown) => msg is T) | undefined, timeoutMs: TimeoutMs): Promise<T | Timeout>;
  receive(match?: (msg: unknown) => boolean, timeoutMs?: TimeoutMs): Promise<unknown>;
  receive(match?: (msg: unknown) => boolean, timeoutMs?: TimeoutMs): Promise<unknown> {
    this.ensureAlive();
    if (this.waiter !== null) throw new BadArgError(`${this.pid} is already waiting in receive`);
    if (timeoutMs !== undefined && timeoutMs !== 'infinity' && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
      throw new BadArgError(`receive: timeoutMs must be a number >= 0 or 'infinity', got ${formatTerm(timeoutMs)}`, timeoutMs);
    }
    if (this.signals !== null) {
      // As OTP's receive, take in what was sent so far first: an exit signal in it may end the process here.
      drainSignals(this);
      if (!this.alive) return new Promise(() => undefined);
    }
    const mb = this.mailbox;
    if (mb !== null && mb.length > 0) {
      const i = match === undefined ? 0 : mb.find(match);
      if (i >= 0) {
        const msg = mb.takeAt(i);
        if (this.node.scheduler.charge(1)) return new Promise((resolve) => setImmediate(resolve, msg));
        return Promise.resolve(msg);
      }
    }
    if (timeoutMs === 0) {
      // A poll is work like any receive: over the turn's budget it answers after the event loop's I/O.
      if (this.node.scheduler.charge(1)) return new Promise((resolve) => setImmediate(resolve, TIMEOUT));
      return Promise.resolve(TIMEOUT);
    }
    return new Promise((resolve) => {
      const w: Waiter = { match, resolve, timer: null };
      if (timeoutMs !== undefined && timeoutMs !== 'infinity') {
        w.timer = this.node.clock.setTimeout(() => {
          if (this.waiter !== w) return;
          // What was sent before the deadline comes first: the message waited for, or an exit signal.
          if (this.signals !== null) drainSignals(this);
          if (this.waiter !== w) return;
          this.waiter = null;
          resolve(TIMEOUT);
        }, timeoutMs);
      }
      this.waiter = w;
    });
  }

  link(pid: Pid): void {
    this.ensureAlive();
    this.node.linkFrom(this, pid);
  }

  unlink(pid: Pid): void {
    this.ensureAlive();
    this.node.unlinkFrom(this, pid);
  }

  monitor(target: Pid | string | readonly [string, string]): Ref {
    this.ensureAlive();
    return this.node.monitorFrom(this, target).ref;
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    this.ensureAlive();
    return this.node.demonitorFrom(this, ref, options?.flush === true);
  }

  trapExit(on: boolean): boolean {
    this.ensureAlive();
    const was = this.trapping;
    this.trapping = on;
    return was;
  }

  exit(reason: ExitReason): never;
  exit(pid: Pid, reason: ExitReason): void;
  exit(a: unknown, b?: unknown): void {
    this.ensureAlive();
    if (arguments.length < 2) throw new ProcessExit(a as ExitReason);
    this.node.exitFrom(this.pid, a as Pid, b as ExitReason);
  }

  spawn(body: ProcessBody, options?: SpawnOptions): Pid {
    this.ensureAlive();
    return this.node.spawnFrom(this, body, null, options);
  }

  spawnLink(body: ProcessBody, options?: SpawnOptions): Pid {
    this.ensureAlive();
    return this.node.spawnFrom(this, body, null, { ...options, link: true });
  }

  spawnMonitor(body: ProcessBody, options?: SpawnOptions): [Pid, Ref] {
    this.ensureAlive();
    const pid = this.node.spawnFrom(this, body, null, options);
    return [pid, this.monitor(pid)];
  }

  register(name: string): void {
    this.ensureAlive();
    this.node.register(name, this.pid);
  }

  sendAfter(dest: Dest, msg: unknown, ms: number): Ref {
    this.ensureAlive();
    return this.node.timers.start(this, dest, msg, ms);
  }

  cancelTimer(ref: Ref): number | false {
    return this.node.cancelTimer(ref);
  }

  yield(): Promise<void> {
    this.ensureAlive();
    if (this.held !== null) return Promise.resolve(this.held);
    return this.node.scheduler.yieldPoint();
  }

  /** @internal a monitor with this watcher (used by gen call). */
  addMonitor(m: Monitor): void {
    (this.monitors ??= new Map()).set(m.refId, m);
  }
}

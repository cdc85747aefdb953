/**
 * The shell's own process: a real Grove process whose body loops over evaluation
 * jobs, so that everything typed at the prompt runs inside it. `self()` is its pid
 * (other nodes can send to it), `receive()` and `flush()` take from its mailbox,
 * calls are made from it, and links and monitors belong to it.
 *
 * Like erl's shell, it is replaced when it dies (a linked process crashed, or
 * someone killed it): the job it was running fails with {@link ShellExitError}, a
 * new process takes over, and `self()` changes. A body whose process is dead never
 * takes another job: it checks that it is still the current one first.
 *
 * Ctrl-C interrupts the job, not the process ({@link ShellProcess.interrupt}): the job
 * fails with {@link ShellInterruptError} at once and the process takes the next line,
 * keeping its mailbox, links, monitors and names. A `receive` the line was waiting in
 * ends (the shell's `receive` waits in short slices and checks whether its line was
 * interrupted); anything else the line awaited (a call, a timer) goes on in the
 * background and its result is dropped.
 */
import { formatTerm, TIMEOUT, type ExitReason, type Node, type Pid, type ProcessContext, type TimeoutMs, type Timeout } from '@grove/core';
import { ShellExitError, ShellInterruptError } from '../errors';

/** How long the shell's `receive` waits before it looks whether its line was interrupted. */
const RECEIVE_SLICE_MS = 100;

interface Job {
  readonly run: (ctx: ProcessContext) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Tells the shell that its process was replaced (to print a note). */
export type ShellRestartListener = (old: Pid, reason: ExitReason, next: Pid) => void;

export class ShellProcess {
  private current: ProcessContext | null = null;
  private pid: Pid | null = null;
  private readonly jobs: Job[] = [];
  private running: Job | null = null;
  private wake: (() => void) | null = null;
  /** Ends the body's wait for the running job (an interrupt). */
  private cut: (() => void) | null = null;
  /** Counts interrupts: a `receive` started in an interrupted line sees it changed. */
  private epoch = 0;
  /** The shell's receive in progress (an interrupted one finishes its slice first). */
  private receiving: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly offExit: () => void;

  constructor(readonly node: Node, private readonly onRestart: ShellRestartListener = () => {}) {
    this.offExit = node.onExit((pid, reason) => {
      if (this.pid !== null && pid.equals(this.pid)) this.died(pid, reason);
    });
    this.spawn();
  }

  /** The current shell process's context (replaced when it dies). */
  get ctx(): ProcessContext {
    if (this.current === null) throw new ShellExitError('the shell process is not running');
    return this.current;
  }

  /** The current shell process's pid. */
  get self(): Pid {
    return this.pid!;
  }

  /** Runs `fn` inside the shell process, after the jobs queued before it. */
  run<T>(fn: (ctx: ProcessContext) => Promise<T> | T): Promise<T> {
    if (this.closed) return Promise.reject(new ShellExitError('the shell is closed'));
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ run: async function job(ctx) { return fn(ctx); }, resolve: resolve as (v: unknown) => void, reject });
      this.wakeUp();
    });
  }

  /**
   * Interrupts the job the shell process is running (Ctrl-C at a prompt that waits):
   * the job fails with ShellInterruptError and the same process takes the next one.
   * False when it was idle.
   */
  interrupt(): boolean {
    const job = this.running;
    if (job === null || this.pid === null) return false;
    this.running = null;
    this.epoch++;
    job.reject(new ShellInterruptError(`interrupted; the shell process ${this.pid} goes on with its mailbox, links and names (anything the line was still awaiting, other than receive(), finishes in the background and its result is dropped)`));
    const cut = this.cut;
    this.cut = null;
    cut?.();
    return true;
  }

  /**
   * The shell's `receive`: the shell process's `receive`, in slices, so that an
   * interrupted line stops waiting (a message taken just as the line was
   * interrupted goes back to the end of the mailbox).
   */
  async receive(match: ((msg: unknown) => boolean) | undefined, timeoutMs: TimeoutMs = 'infinity'): Promise<unknown> {
    const epoch = this.epoch;
    const ctx = this.ctx;
    const deadline = timeoutMs === 'infinity' ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      await this.receiving; // one receive at a time: an interrupted line's slice ends first
      if (this.epoch !== epoch) throw new ShellInterruptError('interrupted');
      const left = deadline - Date.now();
      const r: Promise<unknown | Timeout> = ctx.receive(match, Math.max(0, Math.min(RECEIVE_SLICE_MS, left)));
      this.receiving = r.catch(() => undefined);
      const msg = await r;
      if (this.epoch !== epoch) {
        if (msg !== TIMEOUT) ctx.send(ctx.self, msg);
        throw new ShellInterruptError('interrupted');
      }
      if (msg !== TIMEOUT || left <= RECEIVE_SLICE_MS) return msg;
    }
  }

  /** Stops taking jobs; the process ends with the node. */
  close(): void {
    this.closed = true;
    this.offExit();
    for (const job of this.jobs.splice(0)) job.reject(new ShellExitError('the shell is closed'));
    this.wakeUp();
  }

  /**
   * Wakes the body parked in `next`. The waker clears `wake`, not the woken body: a
   * dead body resumes after its successor may have parked, and must not clear the
   * successor's wake.
   */
  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private spawn(): void {
    this.current = null;
    this.pid = this.node.spawn((ctx) => this.loop(ctx), { label: 'shell' });
  }

  private async loop(ctx: ProcessContext): Promise<void> {
    this.current = ctx;
    for (;;) {
      const job = await this.next(ctx.self);
      if (job === null) return;
      this.running = job;
      const done = job.run(ctx).then(job.resolve, job.reject);
      // Either the job ends or it is interrupted: then the body takes the next one at once.
      await Promise.race([done, new Promise<void>((resolve) => (this.cut = resolve))]);
      this.cut = null;
      if (this.running === job) this.running = null;
    }
  }

  /** The next job, or null once this body's process is no longer the shell's (or the shell closed). */
  private async next(self: Pid): Promise<Job | null> {
    for (;;) {
      if (this.closed || this.pid === null || !self.equals(this.pid)) return null;
      const job = this.jobs.shift();
      if (job !== undefined) return job;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private died(old: Pid, reason: ExitReason): void {
    const job = this.running;
    this.running = null;
    if (this.closed) return;
    this.spawn();
    const note = `the shell process ${old} exited (${formatTerm(reason)}); the new shell process is ${this.pid}`;
    if (job !== null) job.reject(new ShellExitError(note, reason));
    else this.onRestart(old, reason, this.pid!);
    // The dead body may be parked in `next`: wake it so it sees it is no longer current and returns.
    this.wakeUp();
  }
}

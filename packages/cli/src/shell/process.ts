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
 */
import { describe, type ExitReason, type Node, type Pid, type ProcessContext } from '@grove/core';
import { ShellExitError } from '../errors';

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
   * Kills the shell process when it is running a job (Ctrl-C at a prompt that waits):
   * the job fails and a new shell process takes over. False when it was idle.
   */
  interrupt(): boolean {
    if (this.running === null || this.pid === null) return false;
    this.node.exit(this.pid, 'kill');
    return true;
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
      try {
        job.resolve(await job.run(ctx));
      } catch (e) {
        job.reject(e);
      }
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
    const note = `the shell process ${old} exited (${describe(reason)}); the new shell process is ${this.pid}`;
    if (job !== null) job.reject(new ShellExitError(note, reason));
    else this.onRestart(old, reason, this.pid!);
    // The dead body may be parked in `next`: wake it so it sees it is no longer current and returns.
    this.wakeUp();
  }
}

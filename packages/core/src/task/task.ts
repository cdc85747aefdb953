/**
 * Task: Elixir's `Task`, a process that runs one function and sends its result to
 * the process that started it (the owner).
 *
 * ```ts
 * const t = Task.async(ctx, async () => fetchPrice('tea'));
 * const price = await Task.await(ctx, t, 1000);
 * for await (const r of Task.asyncStream(ctx, urls, (u) => get(u), { maxConcurrency: 4 })) ...
 * ```
 *
 * The protocol, as Elixir's: the task is linked to the owner (a crash of either
 * takes the other down, unless it traps exits) and monitored by it; it ends by
 * sending `{ taskRef: monitorRef, value }`, which only `await`/`yield` of the owner
 * take, so other messages are left alone. A task started by a TaskSupervisor
 * (task_supervisor.ts) waits for its owner's `{ taskGo: ref }` first, since its
 * owner can monitor it only once the supervisor has answered.
 *
 * Deliberate differences from Elixir: `await` and a stream's timeout exit the owner
 * with `{ reason, where: 'Task.await' }` (Elixir: `{reason, {Task, :await, args}}`);
 * `yield`/`shutdown` answer `{ ok }`, `{ exit }` or `undefined` (Elixir: nil).
 */
import { cpus } from 'os';
import { BadArgError } from '../errors';
import { TIMEOUT, type ProcessBody, type ProcessContext, type TimeoutMs } from '../runtime/context';
import { isDownMessage, type DownMessage, type ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import { Ref } from '../runtime/ref';

/** A running task: await or yield it from its owner, once. `T` is its result. */
export interface Task<T = unknown> {
  readonly pid: Pid;
  /** The monitor ref, which also tags the reply. */
  readonly ref: Ref;
  /** The process that may await it. */
  readonly owner: Pid;
  /** Type-level only. */
  readonly resultType?: T;
}

/** What `yield` and `shutdown` answer, and what a stream yields for each item. */
export type TaskResult<T> = { readonly ok: T } | { readonly exit: ExitReason };

/** A task's function: gets the task's own context. */
export type TaskFun<T> = (ctx: ProcessContext) => T | Promise<T>;

/** Options of `asyncStream`. */
export interface AsyncStreamOptions {
  /** Tasks running at once; default: the number of CPUs (Elixir: schedulers online). */
  maxConcurrency?: number;
  /** Results in the order of the items (default), or as they come. */
  ordered?: boolean;
  /** How long each task may run, from its start; default 5000. */
  timeoutMs?: TimeoutMs;
  /** `'exit'` (default): a late task exits the owner; `'kill_task'`: it is killed and yields `{ exit: 'timeout' }`. */
  onTimeout?: 'exit' | 'kill_task';
}

/** @internal The reply a task sends its owner. */
export interface TaskReply {
  readonly taskRef: Ref;
  readonly value: unknown;
}

/** @internal The go a supervised task waits for. */
export interface TaskGo {
  readonly taskGo: Ref;
}

function isReply(m: unknown): m is TaskReply {
  // Not `'value' in m`: a task that returns `undefined` may arrive without the key.
  return typeof m === 'object' && m !== null && (m as { taskRef?: unknown }).taskRef instanceof Ref;
}

/** @internal The body of a supervised task: waits for its owner's go, runs `fn`, replies. */
export function supervisedBody(owner: Pid | null, fn: TaskFun<unknown>): ProcessBody {
  if (owner === null) return async (c) => void (await fn(c));
  return async (c) => {
    const go = await c.receive((m): m is TaskGo => typeof m === 'object' && m !== null && 'taskGo' in m);
    const value = await fn(c);
    c.send(owner, { taskRef: go.taskGo, value } satisfies TaskReply);
  };
}

function checkOwner(ctx: ProcessContext, task: Task<unknown>, what: string): void {
  if (typeof task !== 'object' || task === null || !('ref' in task)) throw new BadArgError(`Task.${what}: expected a task, got ${String(task)}`, task);
  if (!task.owner.equals(ctx.self)) throw new BadArgError(`Task.${what}: ${String(ctx.self)} is not the owner of task ${String(task.pid)} (${String(task.owner)})`, task);
}

function replyOrDown(ref: Ref): (m: unknown) => m is TaskReply | DownMessage {
  return (m): m is TaskReply | DownMessage => (isReply(m) && m.taskRef.equals(ref)) || isDownMessage(m, ref);
}

/** Starts `fn` in a task linked to and monitored by `ctx`. */
function async<T>(ctx: ProcessContext, fn: TaskFun<T>): Task<T> {
  if (typeof fn !== 'function') throw new BadArgError(`Task.async: expected a function, got ${String(fn)}`, fn);
  const owner = ctx.self;
  // The body runs later, from the run queue: `ref` is set by then.
  let ref: Ref;
  const pid = ctx.spawnLink(async (c) => {
    const value = await fn(c);
    c.send(owner, { taskRef: ref, value } satisfies TaskReply);
  }, { label: 'task' });
  ref = ctx.monitor(pid);
  return { pid, ref, owner };
}

/**
 * The task's result. A task that exits first, or no reply within `timeoutMs`
 * (default 5000), exits the owner with `{ reason, where: 'Task.await' }` (the task,
 * linked, goes with it).
 */
async function awaitTask<T>(ctx: ProcessContext, task: Task<T>, timeoutMs: TimeoutMs = 5000): Promise<T> {
  checkOwner(ctx, task, 'await');
  const m = await ctx.receive(replyOrDown(task.ref), timeoutMs);
  if (m === TIMEOUT) return ctx.exit({ reason: 'timeout', where: 'Task.await' });
  if (!isReply(m)) return ctx.exit({ reason: m.reason, where: 'Task.await' });
  ctx.demonitor(task.ref, { flush: true });
  return m.value as T;
}

/** The result as `{ ok }`, `{ exit }` if the task died, or `undefined` after `timeoutMs` (the task runs on). */
async function yieldTask<T>(ctx: ProcessContext, task: Task<T>, timeoutMs: TimeoutMs = 5000): Promise<TaskResult<T> | undefined> {
  checkOwner(ctx, task, 'yield');
  const m = await ctx.receive(replyOrDown(task.ref), timeoutMs);
  if (m === TIMEOUT) return undefined;
  if (!isReply(m)) return { exit: m.reason };
  ctx.demonitor(task.ref, { flush: true });
  return { ok: m.value as T };
}

/**
 * Stops the task: unlinks, sends exit signal `shutdown` and waits `shutdown` ms
 * (default 5000) before `kill` (`'brutal_kill'`: at once). Answers `{ ok }` when its
 * reply came first, `{ exit }` when it had died of something else, else `undefined`.
 */
async function shutdown<T>(ctx: ProcessContext, task: Task<T>, shutdownMs: number | 'brutal_kill' = 5000): Promise<TaskResult<T> | undefined> {
  checkOwner(ctx, task, 'shutdown');
  ctx.unlink(task.pid);
  ctx.exit(task.pid, shutdownMs === 'brutal_kill' ? 'kill' : 'shutdown');
  let m = await ctx.receive(replyOrDown(task.ref), shutdownMs === 'brutal_kill' ? 'infinity' : shutdownMs);
  if (m === TIMEOUT) {
    ctx.exit(task.pid, 'kill');
    m = await ctx.receive(replyOrDown(task.ref));
  }
  if (isReply(m)) {
    ctx.demonitor(task.ref, { flush: true });
    return { ok: m.value as T };
  }
  return m.reason === 'shutdown' || m.reason === 'killed' ? undefined : { exit: m.reason };
}

/** @internal Kills a task of a stream that is no longer wanted. */
export function killTask(ctx: ProcessContext, task: Task<unknown>): void {
  ctx.unlink(task.pid);
  ctx.exit(task.pid, 'kill');
  ctx.demonitor(task.ref, { flush: true });
}

interface Running {
  readonly task: Task<unknown>;
  readonly index: number;
  readonly deadline: number;
}

/**
 * @internal The stream both Task and TaskSupervisor run: up to `maxConcurrency`
 * tasks from `spawn`, results in order or as they come, a deadline per task.
 */
export async function* runStream<I, R>(
  ctx: ProcessContext,
  items: Iterable<I>,
  spawn: (item: I) => Task<R> | Promise<Task<R>>,
  options: AsyncStreamOptions,
  where: string,
): AsyncGenerator<TaskResult<R>, void, undefined> {
  const max = options.maxConcurrency ?? Math.max(1, cpus().length);
  if (!Number.isInteger(max) || max < 1) throw new BadArgError(`${where}: maxConcurrency must be a positive integer, got ${String(max)}`, max);
  const timeoutMs = options.timeoutMs ?? 5000;
  const clock = ctx.node.clock;
  const running = new Map<number | string, Running>();
  const done = new Map<number, TaskResult<R>>();
  const it = items[Symbol.iterator]();
  let started = 0;
  let next = 0;
  let exhausted = false;
  const isMine = (m: unknown): m is TaskReply | DownMessage =>
    (isReply(m) && running.has(m.taskRef.key)) || (isDownMessage(m) && running.has(m.ref.key));
  try {
    for (;;) {
      while (!exhausted && running.size < max) {
        const r = it.next();
        if (r.done === true) exhausted = true;
        else {
          const task = await spawn(r.value);
          running.set(task.ref.key, { task, index: started++, deadline: timeoutMs === 'infinity' ? Infinity : clock.now() + timeoutMs });
        }
      }
      if (running.size === 0) return;
      let first = Infinity;
      for (const r of running.values()) first = Math.min(first, r.deadline);
      const m = await ctx.receive(isMine, first === Infinity ? 'infinity' : Math.max(0, first - clock.now()));
      const now = clock.now();
      const ended: [Running, TaskResult<R>][] = [];
      if (m === TIMEOUT) {
        for (const r of running.values()) {
          if (r.deadline > now) continue;
          if (options.onTimeout !== 'kill_task') return ctx.exit({ reason: 'timeout', where });
          killTask(ctx, r.task);
          ended.push([r, { exit: 'timeout' }]);
        }
      } else if (isReply(m)) {
        const r = running.get(m.taskRef.key)!;
        ctx.demonitor(r.task.ref, { flush: true });
        ended.push([r, { ok: m.value as R }]);
      } else {
        ended.push([running.get(m.ref.key)!, { exit: m.reason }]);
      }
      for (const [r, result] of ended) {
        running.delete(r.task.ref.key);
        if (options.ordered === false) yield result;
        else done.set(r.index, result);
      }
      while (done.has(next)) {
        const result = done.get(next)!;
        done.delete(next++);
        yield result;
      }
    }
  } finally {
    for (const r of running.values()) killTask(ctx, r.task);
  }
}

/** Elixir's Task. Every function is called from the owner's context. */
export const Task = {
  async,
  await: awaitTask,
  yield: yieldTask,
  shutdown,
  /**
   * Runs `fn` on every item in tasks linked to the owner, at most `maxConcurrency`
   * at a time; yields `{ ok: result }` per item (in the items' order unless
   * `ordered: false`), or `{ exit: 'timeout' }` with `onTimeout: 'kill_task'`.
   * Stopping the iteration early kills the tasks still running.
   */
  asyncStream<I, R>(ctx: ProcessContext, items: Iterable<I>, fn: (item: I, ctx: ProcessContext) => R | Promise<R>, options: AsyncStreamOptions = {}): AsyncGenerator<TaskResult<Awaited<R>>, void, undefined> {
    if (typeof fn !== 'function') throw new BadArgError(`Task.asyncStream: expected a function, got ${String(fn)}`, fn);
    return runStream(ctx, items, (item) => async(ctx, (c) => fn(item, c)) as Task<Awaited<R>>, options, 'Task.asyncStream');
  },
} as const;

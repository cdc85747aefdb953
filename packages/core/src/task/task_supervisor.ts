/**
 * TaskSupervisor: Elixir's `Task.Supervisor`, a SimpleOneForOneSupervisor of temporary
 * tasks, so that tasks run under a supervision tree (shut down with it) and, with
 * `asyncNolink`, a crashing task does not take its owner down.
 *
 * ```ts
 * await TaskSupervisor.start(node, { name: 'tasks' });
 * const t = await TaskSupervisor.asyncNolink(ctx, 'tasks', () => risky());
 * const r = await Task.yield(ctx, t, 1000); // { ok } or { exit }, never a crash
 * ```
 *
 * A task is started through the supervisor (`startChild` with the function as a
 * node-local term, see local_fun.ts), linked to it; the owner then links (`async`)
 * or not (`asyncNolink`), monitors it and sends it the go with the monitor ref.
 *
 * Deliberate difference from Elixir: a closure cannot go to another node, so a
 * supervisor on another node (`[name, node]`) runs only the functions it was
 * started with, by name (`{ call, args }`); a closure for it is refused with
 * `BadArgError` at the caller (Elixir sends the closure, or `{M, F, A}`).
 */
import { BadArgError, formatTerm } from '../errors';
import { callerOf, type Caller } from '../gen_server/client';
import type { ProcessContext } from '../runtime/context';
import type { Pid } from '../runtime/pid';
import { isRemoteName, type Dest, type ViaName } from '../runtime/registry';
import type { ChildSpec } from '../supervisor/child_spec';
import { startSimpleOneForOne, startLinkSimpleOneForOne, type SimpleOneForOneInit } from '../supervisor/dynamic_supervisor';
import { startChild, supervisorChildSpec, terminateChild, whichChildren } from '../supervisor/supervisor';
import { localFun, takeFun, type LocalFun } from './local_fun';
import { runStream, supervisedBody, type AsyncStreamOptions, type Task, type TaskFun, type TaskGo, type TaskResult } from './task';

/** Options of a task supervisor. */
export interface TaskSupervisorOptions {
  /** Register it under a local name or a via name. */
  name?: string | ViaName;
  /** At most this many tasks at once (default `'infinity'`); more are refused with `max_children`. */
  maxChildren?: number | 'infinity';
  /** Restart intensity, as a supervisor's (default 3 in 5000 ms; tasks are temporary, so it rarely matters). */
  intensity?: number;
  periodMs?: number;
  /**
   * Functions this supervisor runs by name for callers on any node (a
   * {@link TaskCall}): `fn(taskCtx, ...args)`. Code is never shipped, so this is
   * how a task reaches another node (Elixir sends the closure or `{M, F, A}`).
   */
  functions?: Readonly<Record<string, (ctx: ProcessContext, ...args: any[]) => unknown>>;
}

/** A task by name, for a supervisor on any node: one of its `functions`, with `args` (terms). */
export interface TaskCall {
  readonly call: string;
  readonly args?: readonly unknown[];
}

/** @internal What `startChild` carries to the supervisor for one task. */
interface TaskArgs {
  readonly fun: LocalFun | null;
  readonly call?: string;
  readonly args?: readonly unknown[];
  readonly owner: Pid | null;
}

function isTaskCall(x: unknown): x is TaskCall {
  return typeof x === 'object' && x !== null && typeof (x as TaskCall).call === 'string';
}

/** The function a task runs: the caller's own (same node) or one of the supervisor's by name. */
function taskFunction(parent: ProcessContext, args: TaskArgs, functions: TaskSupervisorOptions['functions']): TaskFun<unknown> {
  if (args.fun !== null) return takeFun<TaskFun<unknown>>(parent.node, args.fun, 'TaskSupervisor');
  const fn = args.call !== undefined && functions !== undefined && Object.hasOwn(functions, args.call) ? functions[args.call] : undefined;
  if (fn === undefined) throw new BadArgError(`TaskSupervisor: no function ${JSON.stringify(args.call)} on ${parent.node.name}`, args.call);
  const params = args.args ?? [];
  return (c) => fn(c, ...params);
}

function init(options: TaskSupervisorOptions): () => SimpleOneForOneInit<TaskArgs> {
  const flags = { maxChildren: options.maxChildren ?? 'infinity', intensity: options.intensity ?? 3, periodMs: options.periodMs ?? 5000 };
  return () => ({
    flags,
    child: {
      restart: 'temporary',
      start: (parent, args) => {
        try {
          return Promise.resolve(parent.spawnLink(supervisedBody(args.owner, taskFunction(parent, args, options.functions)), { label: 'task' }));
        } catch (e) {
          return Promise.reject(e);
        }
      },
    },
  });
}

function nameOptions(options: TaskSupervisorOptions): { name?: string | ViaName } {
  return options.name === undefined ? {} : { name: options.name };
}

/** What `startChild` carries: a function (refused for a supervisor on another node) or a {@link TaskCall}. */
function taskArgs(from: Caller, sup: Dest, fn: TaskFun<unknown> | TaskCall, owner: Pid | null, what: string): TaskArgs {
  const node = callerOf(from, `TaskSupervisor.${what}`).node;
  if (isTaskCall(fn)) {
    if (fn.args !== undefined && !Array.isArray(fn.args)) throw new BadArgError(`TaskSupervisor.${what}: args must be an array`, fn.args);
    return { fun: null, call: fn.call, args: fn.args ?? [], owner };
  }
  if (isRemoteName(sup) && sup[1] !== node.name) {
    throw new BadArgError(`TaskSupervisor.${what}: ${formatTerm(sup)} is on another node; a function runs only on the caller's node (use { call, args })`, sup);
  }
  return { fun: localFun(node, fn, `TaskSupervisor.${what}`), owner };
}

async function startTask<T>(ctx: ProcessContext, sup: Dest, fn: TaskFun<T> | TaskCall, link: boolean, what: string): Promise<Task<T>> {
  const pid = (await startChild(ctx, sup, taskArgs(ctx, sup, fn as TaskFun<unknown> | TaskCall, ctx.self, what))) as Pid;
  if (link) ctx.link(pid);
  const ref = ctx.monitor(pid);
  ctx.send(pid, { taskGo: ref } satisfies TaskGo);
  return { pid, ref, owner: ctx.self };
}

/** Elixir's Task.Supervisor. */
export const TaskSupervisor = {
  /** Starts a task supervisor (not linked). */
  start(from: Caller, options: TaskSupervisorOptions = {}): Promise<Pid> {
    return startSimpleOneForOne(from, init(options), nameOptions(options));
  },

  /** Starts a task supervisor linked to `parent`. */
  startLink(parent: ProcessContext, options: TaskSupervisorOptions = {}): Promise<Pid> {
    return startLinkSimpleOneForOne(parent, init(options), nameOptions(options));
  },

  /** A child spec (id `'TaskSupervisor'` unless given), type supervisor. */
  childSpec(options: TaskSupervisorOptions & { id?: string } = {}): ChildSpec {
    return supervisorChildSpec('TaskSupervisor', { ...nameOptions(options), ...(options.id === undefined ? {} : { id: options.id }) }, (parent, start) =>
      startLinkSimpleOneForOne(parent, init(options), start),
    );
  },

  /**
   * A task under `sup`, linked to the caller and monitored by it: await it with
   * `Task.await`. `fn` is a function (a supervisor on the caller's node) or one of
   * the supervisor's `functions` by name, `{ call, args }` (any node).
   */
  async<T>(ctx: ProcessContext, sup: Dest, fn: TaskFun<T> | TaskCall): Promise<Task<T>> {
    return startTask(ctx, sup, fn, true, 'async');
  },

  /** A task under `sup`, monitored by the caller but not linked: its crash is a `{ exit }` from `Task.yield`. */
  asyncNolink<T>(ctx: ProcessContext, sup: Dest, fn: TaskFun<T> | TaskCall): Promise<Task<T>> {
    return startTask(ctx, sup, fn, false, 'asyncNolink');
  },

  /** A task under `sup` that nobody awaits (Elixir's `start_child`). */
  async startChild(from: Caller, sup: Dest, fn: TaskFun<unknown> | TaskCall): Promise<Pid> {
    return (await startChild(from, sup, taskArgs(from, sup, fn, null, 'startChild'))) as Pid;
  },

  /** `Task.asyncStream` with the tasks under `sup`, linked to the caller. */
  asyncStream<I, R>(ctx: ProcessContext, sup: Dest, items: Iterable<I>, fn: (item: I, ctx: ProcessContext) => R | Promise<R>, options: AsyncStreamOptions = {}): AsyncGenerator<TaskResult<Awaited<R>>, void, undefined> {
    return runStream(ctx, items, (item) => startTask(ctx, sup, (c) => fn(item, c), true, 'asyncStream') as Promise<Task<Awaited<R>>>, options, 'TaskSupervisor.asyncStream');
  },

  /** As `asyncStream`, not linked: a task that crashes yields `{ exit: reason }`. */
  asyncStreamNolink<I, R>(ctx: ProcessContext, sup: Dest, items: Iterable<I>, fn: (item: I, ctx: ProcessContext) => R | Promise<R>, options: AsyncStreamOptions = {}): AsyncGenerator<TaskResult<Awaited<R>>, void, undefined> {
    return runStream(ctx, items, (item) => startTask(ctx, sup, (c) => fn(item, c), false, 'asyncStreamNolink') as Promise<Task<Awaited<R>>>, options, 'TaskSupervisor.asyncStreamNolink');
  },

  /** The pids of the running tasks. */
  async children(from: Caller, sup: Dest): Promise<Pid[]> {
    return (await whichChildren(from, sup)).map((c) => c.pid).filter((p): p is Pid => typeof p === 'object');
  },

  /** Stops one task (its shutdown: 5000 ms, then `kill`). */
  terminateChild(from: Caller, sup: Dest, pid: Pid): Promise<void> {
    return terminateChild(from, sup, pid);
  },
} as const;

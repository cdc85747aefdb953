/**
 * Agent: Elixir's `Agent`, state behind a process, read and changed by functions
 * that run in that process, one at a time.
 *
 * ```ts
 * const counter = await Agent.start(node, () => 0, { name: 'counter' });
 * await Agent.update(node, 'counter', (n: number) => n + 1);
 * await Agent.get(node, 'counter', (n: number) => n); // 1
 * ```
 *
 * An agent is a GenServer ({@link AgentServer}): names (local, `{ via }` for dist's
 * `global` or a {@link Registry}), `childSpec`, `stopServer`, crash reports and
 * timeouts are the GenServer's. A function that throws crashes the agent, and the
 * caller of `get`/`update`/`getAndUpdate` gets the `CallExitError`, as in Elixir.
 *
 * Deliberate difference: the functions run on the agent's node and cannot be sent
 * to another one (no `{M, F, A}` form); calling an agent on another node is refused
 * with `BadArgError` at the caller.
 */
import { BadArgError, formatTerm } from '../errors';
import { DEFAULT_CALL_TIMEOUT_MS } from '../gen';
import { Call, Cast } from '../gen_server/decorators';
import { GenServer, serverChildSpec } from '../gen_server/gen_server';
import { startServer } from '../gen_server/start';
import { callServer, callerOf, castServer, stopServer, type Caller, type ChildSpecOptions, type GenServerOptions } from '../gen_server/client';
import type { ProcessContext, TimeoutMs } from '../runtime/context';
import type { ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import { isRemoteName, type Dest } from '../runtime/registry';
import type { ChildSpec } from '../supervisor/child_spec';
import { localFun, takeFun, type LocalFun } from '../task/local_fun';
import { kSysReplace, kSysState } from '../sys/system';

/** @internal The agent process: its state is `state`, each request carries a function. */
export class AgentServer extends GenServer {
  private state: unknown;

  override init(init: LocalFun): void {
    this.state = takeFun<() => unknown>(this.ctx.node, init, 'Agent.start')();
  }

  @Call() get(fn: LocalFun): unknown {
    return takeFun<(s: unknown) => unknown>(this.ctx.node, fn, 'Agent.get')(this.state);
  }

  @Call() update(fn: LocalFun): 'ok' {
    this.state = takeFun<(s: unknown) => unknown>(this.ctx.node, fn, 'Agent.update')(this.state);
    return 'ok';
  }

  @Call() getAndUpdate(fn: LocalFun): unknown {
    const [reply, next] = takeFun<(s: unknown) => [unknown, unknown]>(this.ctx.node, fn, 'Agent.getAndUpdate')(this.state);
    this.state = next;
    return reply;
  }

  @Cast() cast(fn: LocalFun): void {
    this.state = takeFun<(s: unknown) => unknown>(this.ctx.node, fn, 'Agent.cast')(this.state);
  }

  override formatState(): unknown {
    return this.state;
  }

  [kSysState](): unknown {
    return this.state;
  }

  [kSysReplace](next: unknown): void {
    this.state = next;
  }
}

/** A request to an agent: its function, as a term its node can run. */
function request(from: Caller, agent: Dest, op: string, fn: (...args: never[]) => unknown): [string, LocalFun] {
  const node = callerOf(from, `Agent.${op}`).node;
  const pid = node.whereis(agent);
  if ((pid !== undefined && !node.isLocal(pid)) || (isRemoteName(agent) && agent[1] !== node.name)) {
    throw new BadArgError(`Agent.${op}: ${formatTerm(agent)} is on another node; an agent's functions run on the caller's node`, agent);
  }
  return [op, localFun(node, fn, `Agent.${op}`)];
}

function send<R>(from: Caller, agent: Dest, op: string, fn: (...args: never[]) => unknown, timeoutMs: TimeoutMs): Promise<R> {
  try {
    return callServer(from, agent, request(from, agent, op, fn), timeoutMs) as Promise<R>;
  } catch (e) {
    return Promise.reject(e);
  }
}

function initOf<S>(from: Caller, init: () => S): LocalFun {
  return localFun(callerOf(from, 'Agent.start').node, init, 'Agent.start');
}

/** Elixir's Agent. `S` is the state's type, `R` what a function reads from it. */
export const Agent = {
  /** Starts an agent (not linked) whose state is `init()`, run in the agent. */
  start<S>(from: Caller, init: () => S, options?: GenServerOptions): Promise<Pid> {
    try {
      return startServer(AgentServer, from, initOf(from, init), options, false) as Promise<Pid>;
    } catch (e) {
      return Promise.reject(e);
    }
  },

  /** Starts an agent linked to `parent`. */
  startLink<S>(parent: ProcessContext, init: () => S, options?: GenServerOptions): Promise<Pid> {
    try {
      return startServer(AgentServer, parent, initOf(parent, init), options, true) as Promise<Pid>;
    } catch (e) {
      return Promise.reject(e);
    }
  },

  /** A child spec (id `'Agent'` unless given) whose start runs `init` in each new agent. */
  childSpec<S>(init: () => S, options: ChildSpecOptions = {}): ChildSpec {
    const spec = serverChildSpec(AgentServer, undefined, { id: 'Agent', ...options });
    const startOptions: GenServerOptions = {};
    if (options.name !== undefined) startOptions.name = options.name;
    if (options.timeoutMs !== undefined) startOptions.timeoutMs = options.timeoutMs;
    if (options.mailbox !== undefined) startOptions.mailbox = options.mailbox;
    return { ...spec, start: (parent) => startServer(AgentServer, parent, initOf(parent, init), startOptions, true) as Promise<Pid> };
  },

  /** Resolves with `fn(state)`. */
  get<S, R>(from: Caller, agent: Dest, fn: (state: S) => R, timeoutMs: TimeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<R> {
    return send<R>(from, agent, 'get', fn, timeoutMs);
  },

  /** Replaces the state with `fn(state)`; resolves with `'ok'` once done. */
  update<S>(from: Caller, agent: Dest, fn: (state: S) => S, timeoutMs: TimeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<'ok'> {
    return send<'ok'>(from, agent, 'update', fn, timeoutMs);
  },

  /** `fn(state)` returns `[reply, newState]`: resolves with `reply`. */
  getAndUpdate<S, R>(from: Caller, agent: Dest, fn: (state: S) => readonly [R, S], timeoutMs: TimeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<R> {
    return send<R>(from, agent, 'getAndUpdate', fn, timeoutMs);
  },

  /** Replaces the state with `fn(state)`, without waiting. */
  cast<S>(from: Caller, agent: Dest, fn: (state: S) => S): void {
    castServer(from, agent, request(from, agent, 'cast', fn));
  },

  /** Stops the agent with `reason` (GenServer's `stopServer`). */
  stop(from: Caller, agent: Dest, reason: ExitReason = 'normal', timeoutMs: TimeoutMs = 'infinity'): Promise<void> {
    return stopServer(from, agent, reason, timeoutMs);
  },
} as const;

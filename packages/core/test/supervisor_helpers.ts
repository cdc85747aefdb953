/**
 * Small workers and a trace for the supervisor tests: each worker records its start
 * and (through `node.onExit`) its exit with the reason, so tests assert the ORDER in
 * which children started and stopped.
 */
import { GenCall, isExitMessage, reply, start, type ChildStart, type Node, type Pid, type ProcessContext } from '@grove/core';
import { node, useNode } from './helpers';

/** Short text for an exit reason in a trace. */
function short(reason: unknown): string {
  if (reason instanceof Error) return 'error';
  if (typeof reason === 'string') return reason;
  return JSON.stringify(reason);
}

/** The running test's trace of `node`, made and closed by {@link useTracedNode}. A live binding, like `node`. */
export let trace: Trace;

/** Gives each test of the enclosing block a fresh `node` and a `trace` of it, both closed after the test. */
export function useTracedNode(): void {
  useNode();
  beforeEach(() => {
    trace = new Trace(node);
  });
  afterEach(() => trace.close());
}

/** What happened, in order: `start a`, `exit a shutdown`, ... */
export class Trace {
  readonly events: string[] = [];
  readonly ids = new Map<string, string>();
  private readonly stop: () => void;

  constructor(readonly node: Node) {
    this.stop = node.onExit((pid, reason) => {
      const id = this.ids.get(pid.key);
      if (id !== undefined) this.events.push(`exit ${id} ${short(reason)}`);
    });
  }

  count(event: string): number {
    return this.events.filter((e) => e === event).length;
  }

  /** Events after the first `from` of them. */
  since(from: number): string[] {
    return this.events.slice(from);
  }

  close(): void {
    this.stop();
  }
}

export interface WorkerOptions {
  /** Trap exits; with `ignoreShutdown`, an EXIT `shutdown` from the parent is ignored. */
  trapExits?: boolean;
  ignoreShutdown?: boolean;
  /** init fails (returns stop) while this says so. */
  failStart?: () => boolean;
  /** init answers ignore. */
  ignore?: boolean;
  /** Register under this name. */
  name?: string;
}

/**
 * A worker child: records `start <id>`, then handles 'crash' (throws), 'stop'
 * (exits normal), `{ exit: reason }` (exits with it) and calls (replies 'pong').
 */
export function worker(trace: Trace, id: string, options: WorkerOptions = {}): ChildStart {
  return (parent: ProcessContext) =>
    start(
      parent,
      (ctx) => {
        if (options.failStart?.() === true) return { stop: `${id} refused to start` };
        if (options.ignore === true) return { ignore: true };
        if (options.trapExits === true) ctx.trapExit(true);
        trace.ids.set(ctx.self.key, id);
        trace.events.push(`start ${id}`);
        return { ok: true };
      },
      (msg, ctx) => {
        if (msg === 'crash') throw new Error(`${id} crashed`);
        if (msg === 'stop') ctx.exit('normal');
        if (typeof msg === 'object' && msg !== null && 'exit' in msg) ctx.exit((msg as { exit: unknown }).exit);
        if (msg instanceof GenCall) reply(ctx.node, msg.from, 'pong');
        if (isExitMessage(msg) && !(options.ignoreShutdown === true)) ctx.exit(msg.reason);
      },
      { link: true, ...(options.name !== undefined ? { name: options.name } : {}) },
    );
}

/** The pid of child `id`, which must be running. */
export function pidOf(children: { id: string | undefined; pid: unknown }[], id: string): Pid {
  const c = children.find((x) => x.id === id);
  if (c === undefined || typeof c.pid !== 'object') throw new Error(`child ${id} is not running`);
  return c.pid as Pid;
}

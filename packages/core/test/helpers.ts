/**
 * Shared bits for the core tests: a node for each test, a waitFor, a DOWN waiter,
 * an idle process body, and a log capture.
 */
import { isDownMessage, Node, setLogLevel, setLogSink, type DownMessage, type NodeOptions, type Pid, type ProcessContext } from '@grove/core';

/**
 * The running test's node, made before each test and halted after it by
 * {@link useNode}. A live binding: read it inside tests and hooks, not at load time.
 */
export let node: Node;

/**
 * Gives each test of the enclosing block a fresh `node` (with `options()` when given),
 * halted after the test. One per test: a block inside another that uses it must not
 * call it again (the outer node would be replaced, and never halted).
 */
export function useNode(options?: () => NodeOptions): void {
  beforeEach(() => {
    node = new Node(options?.());
  });
  afterEach(() => node.halt());
}

/** Polls `cond` on every event-loop turn until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`waitFor: timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Monitors `pid` and resolves with its exit reason. */
export async function downReason(ctx: ProcessContext, pid: Pid): Promise<unknown> {
  const ref = ctx.monitor(pid);
  const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
  return down.reason;
}

/** A process body that idles until it gets `'stop'`. */
export const waitForever = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive((m) => m === 'stop');
};

export interface LogRecord {
  logger: string;
  level: string;
  message: string;
  data: Record<string, unknown>;
}

/**
 * Captures what the named loggers write at `warn` and above (nothing reaches the
 * console). Call `restore()` in afterEach.
 */
export function captureLogs(names: string[] = ['gen_server', 'process']): { records: LogRecord[]; restore: () => void } {
  const records: LogRecord[] = [];
  setLogSink((r) => {
    if (names.includes(r.subsystem)) records.push({ logger: r.subsystem, level: r.level.toUpperCase(), message: r.message, data: { ...r.fields } });
  });
  setLogLevel('warn');
  return {
    records,
    restore: () => {
      setLogLevel('silent');
      setLogSink(null);
    },
  };
}

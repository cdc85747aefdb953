/** Shared helpers of the pg tests. */
import type { Pid, ProcessContext } from '@grove/core';
import { startDistributed, type DistNode, type DistOptions } from '@grove/dist';

/** A process body that waits until told 'stop' (or dies). */
export const idle = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive((m) => m === 'stop');
};

/** Polls `cond` every few milliseconds until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Pids as sorted keys: compares member lists where order does not matter. */
export function keys(pids: readonly Pid[]): string[] {
  return pids.map((p) => p.key).sort();
}

let seq = 0;
const running = new Set<DistNode>();

/** A distributed node on the in-memory transport with a fresh name, stopped by {@link stopAll}. */
export async function memNode(prefix: string, options: Partial<DistOptions> = {}): Promise<DistNode> {
  const d = await startDistributed({ name: `${prefix}${++seq}_${process.pid}@127.0.0.1`, cookie: 'pg-test', transport: 'memory', ...options });
  running.add(d);
  return d;
}

/** Stops every node {@link memNode} started. */
export async function stopAll(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((d) => d.stop()));
}

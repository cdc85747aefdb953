/**
 * Helpers for the router and net kernel tests (and pg's): nodes on the in-memory
 * transport with fresh names, stopped after each test, and a `waitFor` for
 * conditions that settle asynchronously.
 */
import { startDistributed, type DistNode, type DistOptions } from '@grove/distribution';

export { waitFor } from './support/wait';

let seq = 0;
const running = new Set<DistNode>();

/** A memory-transport node named `<prefix><n>_<os pid>@127.0.0.1`, stopped by {@link stopAll}. */
export async function memNode(prefix: string, options: Partial<DistOptions> = {}): Promise<DistNode> {
  const d = await startDistributed({ name: `${prefix}${++seq}_${process.pid}@127.0.0.1`, cookie: 'test-cookie', transport: 'memory', ...options });
  running.add(d);
  return d;
}

/** Stops every node {@link memNode} started. */
export async function stopAll(): Promise<void> {
  const all = [...running];
  running.clear();
  await Promise.all(all.map((d) => d.stop()));
}

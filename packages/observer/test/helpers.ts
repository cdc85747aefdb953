/**
 * Shared bits of the observer tests: memory-transport nodes with fresh names, stopped
 * by {@link stopNodes}, and a small GenServer to observe.
 */
import { Cast, GenServer } from '@grove/core';
import { startDistributed, type DistNode } from '@grove/distribution';

const running: DistNode[] = [];
let seq = 0;

/** A node `<prefix><n>_<os pid>@127.0.0.1` on the memory transport (hidden when asked), stopped by {@link stopNodes}. */
export async function node(prefix: string, hidden = false): Promise<DistNode> {
  const d = await startDistributed({ name: `${prefix}${++seq}_${process.pid}@127.0.0.1`, cookie: 'observer-tests', transport: 'memory', hidden });
  running.push(d);
  return d;
}

/** Stops every node {@link node} started. */
export async function stopNodes(): Promise<void> {
  await Promise.all(running.splice(0).map((d) => d.stop()));
}

/** A server that counts what it is given. */
export class Box extends GenServer<{ cast: 'put' }> {
  n = 0;
  @Cast('put')
  put(): void {
    this.n++;
  }
}

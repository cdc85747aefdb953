/**
 * Helpers for the router and net kernel tests (and pg's): nodes on the in-memory
 * transport with fresh names, stopped after each test, and a `waitFor` for
 * conditions that settle asynchronously.
 */
import type { GenCall, Node } from '@grove/core';
import { startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import { decodeTerm, encodeTerm } from '@grove/distribution/internal';

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

/**
 * What a peer's `grove.$gen_call` term naming any `from` decodes to on `node`: a call
 * no client makes (any term can be sent as one), e.g. one with no caller to answer.
 */
export function forgedCall(node: Node, from: unknown, request: unknown): GenCall {
  const atom = Buffer.from('grove.$gen_call');
  const bytes = Buffer.concat([Buffer.from([0x15, 0, atom.length]), atom, encodeTerm([from, request])]);
  return decodeTerm(bytes, { localNode: node.name, localCreation: node.creation }) as GenCall;
}

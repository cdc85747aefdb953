/** Shared helpers of the pg tests; memory-transport nodes and waitFor are dist's. */
import type { Pid, ProcessContext } from '@grove/core';

export { memNode, stopAll, waitFor } from '../../distribution/test/router_helpers';

/** A process body that waits until told 'stop' (or dies). */
export const idle = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive((m) => m === 'stop');
};

/** Pids as sorted keys: compares member lists where order does not matter. */
export function keys(pids: readonly Pid[]): string[] {
  return pids.map((p) => p.key).sort();
}

/**
 * examples/workers with `grove run --workers N`: grove starts the worker-thread nodes,
 * this file says what they run and what the main node does.
 *
 *   npx grove run --sname hash --workers 2 examples/workers/grove_run.ts [JOBS] [ROUNDS]
 *
 * Each worker node (`hash_1@host`, ...) lets others start Hashers on it; the main node
 * spreads JOBS PBKDF2 jobs over a pool of Hashers, one per worker node (two calls in
 * flight per Hasher, so none waits behind a long queue), and prints how many ran on
 * each thread. With a few hundred jobs it keeps every
 * core busy for seconds: watch it in `top -H` (one line per thread).
 */
import type { Node } from '@grove/core';
import { distOf, ServerPool, type DistNode, type WorkerInfo } from '@grove/distribution';
import { Hasher, type Job, type Stretched } from './hasher';

/** What every worker node runs. */
export function worker(dist: DistNode, _info: WorkerInfo): void {
  dist.registerSpawnable(Hasher);
}

/** The main node: the jobs over every worker node, then a count per thread. */
export async function main(node: Node, args: string[]): Promise<number> {
  const count = Number(args[0] ?? 48);
  const rounds = Number(args[1] ?? 40_000);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(rounds) || rounds < 1) {
    console.error('usage: grove run --sname hash --workers N grove_run.ts [JOBS] [ROUNDS]');
    return 2;
  }
  const workers = distOf(node)!.nodes().sort();
  console.log(`${count} PBKDF2 jobs (${rounds} rounds) over ${workers.length} worker nodes: ${workers.join(', ')}`);
  return node.run(async (ctx) => {
    const pool = await ServerPool.start(ctx, Hasher, undefined, { nodes: workers });
    const jobs: Job[] = Array.from({ length: count }, (_, i) => ({ password: `user${i}`, rounds }));
    const t0 = performance.now();
    const done: Stretched[] = [];
    let next = 0;
    // Two lanes per Hasher, each calling its next job when the last one is answered.
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const i = next++;
        done[i] = await pool.pick().call.stretch(jobs[i]!);
      }
    };
    await Promise.all(Array.from({ length: pool.size * 2 }, lane));
    const ms = performance.now() - t0;
    const perThread = new Map<number, number>();
    for (const s of done) perThread.set(s.thread, (perThread.get(s.thread) ?? 0) + 1);
    console.log(`${count} keys in ${ms.toFixed(0)} ms`);
    for (const [thread, n] of [...perThread].sort((a, b) => a[0] - b[0])) console.log(`  thread ${thread}: ${n} jobs`);
    await pool.stop(ctx);
    return 0;
  });
}

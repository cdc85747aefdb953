/**
 * examples/workers: every core of the machine through worker-thread nodes.
 *
 * One OS process: the main node, plus one Grove node per core in worker threads
 * (`startWorkers`), each an ordinary node of the cluster. The same CPU-bound jobs
 * (PBKDF2 key stretching) run twice: on one Hasher in the main thread, then on a pool
 * of Hashers, one per worker node (`ServerPool`, round-robin). The keys must be the
 * same; the second run uses every core. Then one worker thread crashes, the others
 * carry on, and its supervisor brings it back.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { isNodeMessage, monitorNodes, ServerPool, startDistributed, startWorkers } from '@grove/distribution';
import { whichChildren } from '@grove/core';
import { Hasher, type Job, type Stretched } from './hasher';

const JOBS = 24;
const ROUNDS = 40_000;

async function main(): Promise<void> {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  console.log(`Worker-thread nodes: ${JOBS} PBKDF2 jobs on one thread, then on ${cores} worker nodes.\n`);
  const node = await startDistributed({ name: `hash_${process.pid}@127.0.0.1`, cookie: 'workers-example' });
  const workers = await startWorkers(node, { count: cores, main: path.join(__dirname, 'worker.js') });
  const jobs: Job[] = Array.from({ length: JOBS }, (_, i) => ({ password: `user${i}`, rounds: ROUNDS }));

  await node.node.run(async (ctx) => {
    // 1. One thread.
    const local = await Hasher.start(ctx, undefined);
    let t0 = performance.now();
    const alone: Stretched[] = [];
    for (const job of jobs) alone.push(await local.call.stretch(job));
    const oneThreadMs = performance.now() - t0;
    console.log(`1. On the main thread: ${JOBS} keys in ${oneThreadMs.toFixed(0)} ms`);

    // 2. A pool of Hashers, one per worker node; every job in flight at once.
    const pool = await ServerPool.start(ctx, Hasher, undefined, { nodes: workers.nodes });
    t0 = performance.now();
    const spread = await Promise.all(jobs.map((job) => pool.pick().call.stretch(job)));
    const poolMs = performance.now() - t0;
    const threads = new Set(spread.map((s) => s.thread));
    const same = spread.every((s, i) => s.key === alone[i]!.key);
    console.log(`2. On ${pool.size} worker nodes: ${JOBS} keys in ${poolMs.toFixed(0)} ms, computed on ${threads.size} threads (speed-up ${(oneThreadMs / poolMs).toFixed(1)}x)`);
    console.log(`   same keys as on one thread: ${same ? 'yes' : 'NO'}`);

    // 3. A worker thread dies; the others keep working; its supervisor restarts it.
    const victim = workers.nodes[0]!;
    monitorNodes(ctx, true);
    ctx.send(['crasher', victim], 'crash');
    await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodedown' && m.node === victim);
    console.log(`3. The thread of ${victim} crashed: nodedown`);
    if (pool.size > 1) {
      const r = await pool.members[1]!.call.stretch(jobs[0]!);
      console.log(`   another worker node still answers: ${r.key === alone[0]!.key ? 'same key' : 'WRONG KEY'}`);
    }
    await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodeup' && m.node === victim);
    // Its node is up before its main module's start() has run; the supervisor answers
    // once the restart (start() included) is done.
    await whichChildren(ctx, workers.supervisor);
    const fresh = await ServerPool.start(ctx, Hasher, undefined, { nodes: [victim] });
    console.log(`   its supervisor started a new thread: ${victim} is back (nodeup), and answers: ${(await fresh.pick().call.stretch(jobs[0]!)).key === alone[0]!.key ? 'same key' : 'WRONG KEY'}`);
    await fresh.stop(ctx);
    await pool.stop(ctx);
  });
  await workers.stop();
  await node.stop();
  console.log('\nDone: every worker thread stopped.');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

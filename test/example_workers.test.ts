/**
 * examples/workers end to end, as `npm run example:workers` runs it (built): PBKDF2 jobs
 * on one thread and on a pool of Hashers over worker-thread nodes (the same keys, every
 * worker thread used), then a worker thread that crashes and comes back.
 */
import * as os from 'node:os';
import { expectInOrder, groveRun, killChildren, privateEpmd, requireBuilt, startProgram } from './example_helpers';

beforeAll(() => requireBuilt('workers', ['run.js', 'hasher.js', 'worker.js', 'grove_run.js']));
afterEach(killChildren);

describe('examples/workers', () => {
  it('computes the same keys on every worker thread as on one, and survives a crashed thread', async () => {
    const epmd = await privateEpmd();
    const run = startProgram('npm run example:workers', 'workers', 'run.js', { GROVE_EPMD_PORT: String(epmd.port) });
    expect(await run.exitCode(60_000)).toBe(0);
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    expectInOrder(run.output, [
      /1\. On the main thread: 24 keys in \d+ ms/,
      new RegExp(`2\\. On ${cores} worker nodes: 24 keys in \\d+ ms, computed on ${cores} threads`),
      /same keys as on one thread: yes/,
      /3\. The thread of hash_\d+_1@127\.0\.0\.1 crashed: nodedown/,
      /is back \(nodeup\), and answers: same key/,
      /Done: every worker thread stopped\./,
    ]);
    if (cores > 1) expect(run.output).toMatch(/another worker node still answers: same key/);
  });

  it('runs under `grove run --workers 2`: the jobs are spread over both worker threads', async () => {
    const epmd = await privateEpmd();
    const run = groveRun('workers', 'grove_run.js', 'hash@127.0.0.1', ['8', '2000'], epmd, { workers: 2 });
    expect(await run.exitCode(60_000)).toBe(0);
    expectInOrder(run.output, [
      /8 PBKDF2 jobs \(2000 rounds\) over 2 worker nodes: hash_1@127\.0\.0\.1, hash_2@127\.0\.0\.1/,
      /8 keys in \d+ ms/,
    ]);
    const threads = [...run.output.matchAll(/thread \d+: (\d+) jobs/g)].map((m) => Number(m[1]));
    expect(threads).toHaveLength(2);
    expect(threads.reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('refuses a bad job count with its usage line', async () => {
    const epmd = await privateEpmd();
    const run = groveRun('workers', 'grove_run.js', 'hash2@127.0.0.1', ['lots'], epmd, { workers: 1 });
    expect(await run.exitCode(60_000)).toBe(2);
    expect(run.output).toMatch(/usage: grove run --sname hash --workers N grove_run\.ts \[JOBS\] \[ROUNDS\]/);
  });
});

/**
 * examples/dispatcher end to end: a boss node and worker nodes, each its own OS
 * process, through the example's launcher (`npm run example:dispatcher`) and one
 * `grove run` at a time, with a worker node killed -9 mid-run.
 */
import { groveRun, killChildren, privateEpmd, requireBuilt, startLauncher, waitForOutput } from './example_helpers';

beforeAll(() => requireBuilt('dispatcher', ['run.js', 'boss.js', 'worker_node.js']));
afterEach(killChildren);

describe('examples/dispatcher', () => {
  it('tells the whole story in one command: a crashed worker restarted from afar, a killed node, its jobs redone', async () => {
    const run = startLauncher('dispatcher');
    await waitForOutput(run, /boss +\| dispatcher: 24 jobs, waiting for 3 worker nodes/);
    await waitForOutput(run, /run +\| killing w3/);
    expect(await run.exitCode(30_000)).toBe(0);
    const out = run.output;
    for (const w of ['w1', 'w2', 'w3']) expect(out).toMatch(new RegExp(`boss +\\| ${w} joined: starting 2 workers there`));
    // The flaky job crashes its worker on the worker's node; the NodePool on the boss restarts it there.
    expect(out).toMatch(/(w\d) +\| .*GenServer terminating[\s\S]*job 5 hit a glitch/);
    expect(out).toMatch(/boss +\| job 5 was running on w\d when its worker died \(job 5 hit a glitch on its first attempt\): back in the queue/);
    expect(out).toMatch(/w\d +\| worker w\d\/\d working on job 5 \(attempt 2\)/);
    // w3 killed mid-job: its jobs come back and are done elsewhere; its pool gives up.
    expect(out).toMatch(/boss +\| w3 went down/);
    expect(out).toMatch(/boss +\| job \d+ was running on w3 when its worker died \(noconnection\): back in the queue/);
    expect(out).toMatch(/boss +\| .*reached max restart intensity, shutting down/);
    expect(out).toMatch(/boss +\| all 24 jobs done \(w1 \d+, w2 \d+(, w3 \d+)?\); \d+ redone after a worker died/);
    expect(out).toMatch(/boss +\| sum of results 4900, expected 4900: every job counted once/);
  });

  it('runs each node with grove run; a node killed -9 and started again gets fresh workers', async () => {
    const epmd = await privateEpmd();
    const boss = groveRun('dispatcher', 'boss.js', 'boss@127.0.0.1', ['--jobs', '24', '--nodes', '2', '--workers', '2'], epmd);
    await waitForOutput(boss, /waiting for 2 worker nodes/);
    const w1 = groveRun('dispatcher', 'worker_node.js', 'w1@127.0.0.1', ['boss@127.0.0.1'], epmd);
    let w2 = groveRun('dispatcher', 'worker_node.js', 'w2@127.0.0.1', ['boss@127.0.0.1'], epmd);
    await waitForOutput(w2, /working on job/);

    w2.signal('SIGKILL');
    await waitForOutput(boss, /w2 went down/);
    await waitForOutput(boss, /job \d+ was running on w2 when its worker died \(noconnection\): back in the queue/);
    w2 = groveRun('dispatcher', 'worker_node.js', 'w2@127.0.0.1', ['boss@127.0.0.1'], epmd);
    await waitForOutput(boss, /w2 joined: starting 2 workers there/);
    await waitForOutput(boss, /all 24 jobs done/);
    await waitForOutput(boss, /sum of results 4900, expected 4900: every job counted once/);
    expect(await boss.exitCode(10_000)).toBe(0);
    // Worker nodes stop by themselves when the boss goes away.
    await waitForOutput(w1, /boss went away: stopping/);
    expect(await w1.exitCode(10_000)).toBe(0);
  });
});

/**
 * examples/dispatcher end to end: a boss node and worker nodes, each its own OS
 * process, through the example's launcher (`npm run example:dispatcher`) and one
 * `grove run` at a time, with a worker node killed -9 mid-run (and started again by
 * the launcher), and watched through the observer's event stream.
 */
import * as http from 'node:http';
import { start, type Observer } from '@grove/observer';
import { groveRun, killChildren, privateEpmd, requireBuilt, startLauncher, startProgram, waitForOutput } from './example_helpers';
import { tcpNode } from './support/nodes';

beforeAll(() => requireBuilt('dispatcher', ['run.js', 'boss.js', 'worker_node.js']));
let observer: Observer | undefined;
afterEach(async () => {
  await observer?.close();
  observer = undefined;
  await killChildren();
});

interface ObserverEvent {
  nodes: { summary: { name: string; startedAt: number } }[];
  down: { node: string; at: number }[];
  data: { name: string; tree: Tree }[] | { error: string } | null;
}
interface Tree {
  pid?: string;
  children?: Tree[];
}

/** The pids in the trees of an event's applications view that live on `node`. */
function pidsOn(e: ObserverEvent, node: string): string[] {
  const out: string[] = [];
  const walk = (t: Tree): void => {
    if (typeof t.pid === 'string' && t.pid.startsWith(`#PID<${node}.`)) out.push(t.pid);
    for (const c of t.children ?? []) walk(c);
  };
  if (Array.isArray(e.data)) for (const a of e.data) walk(a.tree);
  return out;
}

/** The observer's event stream at `url`: waits for the first event (from now on) that `pred` accepts. */
function eventStream(url: string): { next(pred: (e: ObserverEvent) => boolean, what: string, timeoutMs?: number): Promise<ObserverEvent>; close(): void } {
  let buf = '';
  const waiters = new Set<(e: ObserverEvent) => void>();
  const req = http.get(url, { agent: false }, (res) => {
    res.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const e = JSON.parse(buf.slice('data: '.length, end)) as ObserverEvent;
        buf = buf.slice(end + 2);
        for (const w of [...waiters]) w(e);
      }
    });
  });
  req.on('error', () => {});
  return {
    next: (pred, what, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no observer event showed ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (e: ObserverEvent): void => {
          if (!pred(e)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(e);
        };
        waiters.add(check);
      }),
    close: () => req.destroy(),
  };
}

describe('examples/dispatcher', () => {
  it('tells the whole story in one command: a crashed worker restarted from afar, a killed node, its jobs redone', async () => {
    const run = startLauncher('dispatcher');
    await waitForOutput(run, /boss +\| dispatcher: 24 jobs, waiting for 3 worker nodes/);
    await waitForOutput(run, /run +\| killing w3/);
    await waitForOutput(run, /run +\| starting w3 again/);
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

  it('shows in the observer the boss’s tree, its workers on other nodes, and the killed node’s workers coming back', async () => {
    const epmd = await privateEpmd();
    // Slowed down (as to watch it), and the boss stays up once done: the story cannot end before w3 is back.
    const run = startProgram('npm run example:dispatcher', 'dispatcher', 'run.js', { GROVE_EPMD_PORT: String(epmd.port), DISPATCHER_JOB_MS: '1500', DISPATCHER_STAY: '1' });
    await waitForOutput(run, /boss +\| dispatcher: 24 jobs, waiting for 3 worker nodes/);
    const obs = await tcpNode('obs', epmd, { hidden: true, cookie: 'dispatcher-example' });
    observer = await start(obs, { connect: ['boss@127.0.0.1'], intervalMs: 100 });
    const events = eventStream(`${observer.url}events?view=applications&node=${encodeURIComponent('boss@127.0.0.1')}`);
    try {
      // The boss's tree (its main's supervisor), with two workers on each worker node.
      const before = await events.next((e) => ['w1', 'w2', 'w3'].every((w) => pidsOn(e, `${w}@127.0.0.1`).length === 2), 'two workers on each of w1, w2, w3');
      expect((before.data as { name: string }[]).map((a) => a.name)).toContain('boss_sup');
      // w3 killed: the observer sees it go down; then w3 is started again and its workers are back in the tree.
      const down = await events.next((e) => e.down.some((d) => d.node === 'w3@127.0.0.1'), 'w3 going down');
      const killedAt = down.down.find((d) => d.node === 'w3@127.0.0.1')!.at;
      await waitForOutput(run, /run +\| starting w3 again/);
      const back = await events.next(
        (e) => pidsOn(e, 'w3@127.0.0.1').length === 2 && e.nodes.some((n) => n.summary.name === 'w3@127.0.0.1' && n.summary.startedAt >= killedAt),
        'the new w3 with two workers in the boss’s tree',
      );
      expect(pidsOn(back, 'w1@127.0.0.1')).toHaveLength(2);
      await waitForOutput(run, /boss +\| sum of results 4900, expected 4900: every job counted once/);
    } finally {
      events.close();
    }
  }, 60_000);
});

/**
 * `npm run example:dispatcher`: a boss and three worker nodes, each its own OS
 * process. Midway, the launcher kills w3 (SIGKILL, as a power cut would) while it
 * works; the boss redoes its jobs elsewhere. Then the launcher starts w3 again, as a
 * supervisor of OS processes (systemd, Kubernetes) would: the boss gives it fresh
 * workers, supervised from the boss as before.
 *
 * DISPATCHER_STAY=1 keeps the boss up once the jobs are done (until Ctrl-C), to look
 * at it in `grove observer`; DISPATCHER_JOB_MS slows the jobs down (see job.ts).
 */
import { runStory } from '@grove/example-launcher';

const BOSS = 'boss@127.0.0.1';
const stay = process.env['DISPATCHER_STAY'] === '1' ? ['--stay'] : [];

runStory({ cookie: 'dispatcher-example', dir: __dirname }, async (launcher) => {
  const boss = launcher.node('boss', BOSS, 'boss.js', ['--jobs', '24', '--nodes', '3', '--workers', '2', ...stay]);
  await boss.waitFor(/waiting for 3 worker nodes/);
  const workerNode = (w: string) => launcher.node(w, `${w}@127.0.0.1`, 'worker_node.js', [BOSS]);
  const w3 = ['w1', 'w2', 'w3'].map(workerNode)[2]!;
  // Its two workers start a job each at once; the third job starts when one is done:
  // kill w3 in the middle of that one.
  for (let i = 0; i < 3; i++) await w3.waitFor(/working on job/);
  launcher.say('killing w3 (SIGKILL) in the middle of its work');
  w3.proc.kill('SIGKILL');
  // Once the boss has seen it go (and w3's name is free again), start it again.
  await boss.waitFor(/w3 went down/);
  launcher.say('starting w3 again');
  workerNode('w3');
  return boss.exited;
});

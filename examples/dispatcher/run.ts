/**
 * `npm run example:dispatcher`: a boss and three worker nodes, each its own OS
 * process. Midway, the launcher kills w3 (SIGKILL, as a power cut would) while it
 * works; the boss redoes its jobs elsewhere.
 */
import { runStory } from '@grove/example-launcher';

const BOSS = 'boss@127.0.0.1';

runStory({ cookie: 'dispatcher-example', dir: __dirname }, async (launcher) => {
  const boss = launcher.node('boss', BOSS, 'boss.js', ['--jobs', '24', '--nodes', '3', '--workers', '2']);
  await boss.waitFor(/waiting for 3 worker nodes/);
  const workers = ['w1', 'w2', 'w3'].map((w) => launcher.node(w, `${w}@127.0.0.1`, 'worker_node.js', [BOSS]));
  const w3 = workers[2]!;
  // Its two workers start a job each at once; the third job starts when one is done:
  // kill w3 in the middle of that one.
  for (let i = 0; i < 3; i++) await w3.waitFor(/working on job/);
  launcher.say('killing w3 (SIGKILL) in the middle of its work');
  w3.proc.kill('SIGKILL');
  return boss.exited;
});

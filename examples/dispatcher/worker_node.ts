/**
 * A worker node: it runs nothing by itself. It lets the boss spawn workers here (a
 * spawnable: code never travels, the boss only names what this node registered),
 * connects to the boss, and stops when the boss goes away.
 *
 *   npx grove run --name w1@127.0.0.1 --cookie work examples/dispatcher/dist/worker_node.js boss@127.0.0.1
 */
import type { Node } from '@grove/core';
import { distOf, isNodeMessage, monitorNodes } from '@grove/distribution';
import { short, WORKER_SPAWNABLE } from './job';
import { Worker } from './worker';

export async function main(node: Node, [boss = 'boss@127.0.0.1']: string[]): Promise<number> {
  const dist = distOf(node);
  if (dist === undefined) throw new Error('a worker node needs a name: grove run --name w1@127.0.0.1 ...');
  dist.registerSpawnable(WORKER_SPAWNABLE, Worker);
  return node.run(async (ctx) => {
    monitorNodes(ctx);
    // The boss sees our nodeup and starts our workers.
    while ((await dist.ping(boss)) === 'pang') await ctx.receive(() => false, 500);
    console.log(`connected to ${short(boss)}; waiting for work`);
    await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodedown' && m.node === boss);
    console.log(`${short(boss)} went away: stopping`);
    return 0;
  });
}

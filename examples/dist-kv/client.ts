/**
 * A client of the key-value cluster: a hidden node (like a remote shell, it joins
 * no cluster and shows up in nobody's `nodes()`) that writes through one member and
 * reads from each, then watches what majority writes do as members stop.
 *
 *   npx grove run --name client@127.0.0.1 --hidden --cookie kv examples/dist-kv/dist/client.js \
 *     kv1@127.0.0.1 kv2@127.0.0.1 kv3@127.0.0.1
 */
import type { Node, ProcessContext } from '@grove/core';
import { isNodeMessage, monitorNodes, type NodeDownMessage } from '@grove/distribution';
import { Kv } from './kv';

export async function main(node: Node, cluster: string[]): Promise<number> {
  if (cluster.length !== 3) throw new Error('give the three members: kv1@127.0.0.1 kv2@127.0.0.1 kv3@127.0.0.1');
  await node.run((ctx) => tour(ctx, cluster as [string, string, string]));
  console.log('tour done');
  return 0;
}

async function tour(ctx: ProcessContext, [kv1, kv2, kv3]: [string, string, string]): Promise<void> {
  // A typed client of the server registered as 'kv' on a given node.
  const kv = (node: string) => Kv.client(ctx, ['kv', node]);
  const all = [kv1, kv2, kv3];
  // A hidden node's connections are all hidden: ask for those events too.
  monitorNodes(ctx, true, { nodeType: 'all' });
  const meshed = async (n: string) => {
    const peers = await kv(n).withTimeout(1000).call.peers();
    return all.every((m) => m === n || peers.includes(m));
  };
  await waitUntil(ctx, 'every member connected to the other two', async () => (await Promise.all(all.map(meshed))).every(Boolean));
  console.log(`cluster up: ${all.join(', ')}, each connected to the other two`);

  // 1. Write through kv1, read from each node's own copy.
  console.log(`put colour=green via ${kv1}: ${await kv(kv1).call.put('colour', 'green')}`);
  for (const n of all) {
    // The cast may still be on its way to n: reads are local, so they are eventually right.
    await waitUntil(ctx, `colour=green on ${n}`, async () => (await kv(n).call.get('colour')) === 'green');
    console.log(`get colour on ${n}: green`);
  }

  // 2. The majority variant, with every member up.
  await putMajority(ctx, kv2, 'fruit', 'apple');

  // 3. One member down: a majority (2 of 3) still acknowledges.
  await stopped(ctx, kv3);
  await putMajority(ctx, kv1, 'fruit', 'pear');
  console.log(`get fruit on ${kv2}: ${await kv(kv2).call.get('fruit')}`);

  // 4. Two members down: no majority. A plain put cannot tell; a majority write can.
  await stopped(ctx, kv2);
  await putMajority(ctx, kv1, 'fruit', 'plum');
  console.log(`put fruit=plum via ${kv1}: ${await kv(kv1).call.put('fruit', 'plum')} (a plain put cannot know nobody else got it)`);
}

async function putMajority(ctx: ProcessContext, via: string, key: string, value: string): Promise<void> {
  const { result, acked } = await Kv.client(ctx, ['kv', via]).call.putMajority(key, value);
  console.log(`putMajority ${key}=${value} via ${via}: ${result} (acked by ${acked.join(', ') || 'nobody'})`);
}

/** Asks for `peer` to be stopped, and waits for its nodedown. */
async function stopped(ctx: ProcessContext, peer: string): Promise<void> {
  console.log(`now stop ${peer} (Ctrl-C in its terminal)`);
  const down = await ctx.receive((m): m is NodeDownMessage => isNodeMessage(m) && m.type === 'nodedown' && m.node === peer);
  console.log(`nodedown ${peer} (${down.reason})`);
}

/** Polls `cond` every 50 ms until it holds; fails after 5 s saying `what` did not happen. */
async function waitUntil(ctx: ProcessContext, what: string, cond: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5 s`);
    await ctx.receive(() => false, 50); // a receive nothing matches: waits 50 ms, leaves the mailbox alone
  }
}

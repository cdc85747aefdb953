/**
 * alice: a tour of distribution, run against bob (see bob.ts).
 *
 *  1. watch nodes: nodeup/nodedown messages arrive in alice's mailbox;
 *  2. send to a registered name on another node, `['echo', bob]`, and get the reply;
 *  3. spawn a process on bob and hear from it where it ran;
 *  4. find a process by its global name and send to it;
 *  5. see bob go down, and come back, a new incarnation with new pids.
 *
 * Run it on its own, with bob running (after `npm run build`):
 *   npx grove run --name alice@127.0.0.1 --cookie echo examples/echo/dist/alice.js [bob@127.0.0.1]
 */
import { TIMEOUT, type Node, type Pid, type ProcessContext } from '@grove/core';
import { distOf, globalOf, isNodeMessage, monitorNodes, spawnRemote, type NodeDownMessage, type NodeUpMessage } from '@grove/distribution';

interface EchoReply {
  echo: string;
  node: string;
}
interface WhereAmI {
  ranOn: string;
  pid: Pid;
}

const isEchoReply = (m: unknown): m is EchoReply => typeof (m as EchoReply)?.echo === 'string';
const isWhereAmI = (m: unknown): m is WhereAmI => typeof (m as WhereAmI)?.ranOn === 'string';
const nodeUp = (peer: string) => (m: unknown): m is NodeUpMessage => isNodeMessage(m) && m.type === 'nodeup' && m.node === peer;
const nodeDown = (peer: string) => (m: unknown): m is NodeDownMessage => isNodeMessage(m) && m.type === 'nodedown' && m.node === peer;

export async function main(node: Node, args: string[]): Promise<number> {
  const bob = args[0] ?? 'bob@127.0.0.1';
  await node.run((ctx) => tour(ctx, bob));
  console.log('tour done');
  return 0; // grove stops the node and exits with this code
}

async function tour(ctx: ProcessContext, bob: string): Promise<void> {
  // 1. From now on the net kernel tells this process about every node that comes or goes.
  monitorNodes(ctx);
  await pingUntilPong(ctx, bob); // connecting is implicit: the first ping (or send) dials bob
  await expect(ctx, nodeUp(bob), `nodeup for ${bob}`);
  console.log(`nodeup ${bob}: connected`);

  // 2. A registered name on another node: [name, node] is a destination like any other.
  ctx.send(['echo', bob], { from: ctx.self, text: 'hello bob' });
  const reply = await expect(ctx, isEchoReply, 'the echo reply');
  console.log(`reply from ['echo', ${bob}]: "${reply.echo}" (answered on ${reply.node})`);

  // 3. Spawn on bob: bob runs its own registered 'whereami' function; we only name it.
  const pid = await spawnRemote(ctx, bob, 'whereami', [ctx.self]);
  const where = await expect(ctx, isWhereAmI, "whereami's message");
  console.log(`spawned ${pid} on ${bob}; it says it ran on ${where.ranOn}`);

  // 4. A global name: no node name needed. sync() waits until alice's copy of the
  //    global table has merged bob's.
  const before = await sendToGlobalEcho(ctx, 'hello, whoever you are');

  // 5. Node monitoring: bob's death is a message, not an exception.
  console.log(`now stop ${bob} and start it again (Ctrl-C in its terminal): alice is watching`);
  const down = await ctx.receive(nodeDown(bob));
  console.log(`nodedown ${bob} (reason: ${down.reason})`);
  await pingUntilPong(ctx, bob); // Erlang does not reconnect by itself: we keep pinging
  await expect(ctx, nodeUp(bob), `nodeup for ${bob} again`);
  console.log(`nodeup ${bob}: it is back`);
  const after = await sendToGlobalEcho(ctx, 'welcome back');
  // Same printed form, different process: a pid carries its node's incarnation
  // (`creation`), so a pid of the old bob never reaches the new one.
  console.log(`same pid as before? ${after.equals(before)} (bob's creation was ${before.creation}, now ${after.creation})`);
}

/** Looks up 'echo_service' in the global registry and sends it a message. */
async function sendToGlobalEcho(ctx: ProcessContext, text: string): Promise<Pid> {
  const global = globalOf(ctx);
  await global.sync();
  const echo = global.whereisName('echo_service');
  if (echo === undefined) throw new Error('nobody registered echo_service');
  global.send('echo_service', { from: ctx.self, text });
  const reply = await expect(ctx, isEchoReply, 'the echo_service reply');
  console.log(`global name echo_service is ${echo}; it answered "${reply.echo}"`);
  return echo;
}

/** net_adm:ping in a loop: 'pang' while the node is not there. */
async function pingUntilPong(ctx: ProcessContext, peer: string): Promise<void> {
  for (;;) {
    if ((await distOf(ctx.node)!.ping(peer)) === 'pong') return;
    await ctx.receive(() => false, 500); // a selective receive that never matches: a sleep
  }
}

/** Receives a message matching `guard`, or fails saying what did not come. */
async function expect<T>(ctx: ProcessContext, guard: (m: unknown) => m is T, what: string, timeoutMs = 5000): Promise<T> {
  const m = await ctx.receive(guard, timeoutMs);
  if (m === TIMEOUT) throw new Error(`no ${what} within ${timeoutMs} ms`);
  return m;
}

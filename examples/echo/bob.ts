/**
 * bob: the node alice visits. It runs three things peers can reach:
 *
 * - an echo server, a process registered locally as `echo`: any node reaches it as
 *   `['echo', 'bob@127.0.0.1']` (Erlang: `{echo, 'bob@127.0.0.1'} ! Msg`);
 * - the same process under a global name, `echo_service`: reached without knowing
 *   which node it runs on (Erlang: `global:send(echo_service, Msg)`);
 * - a spawnable, `whereami`: a function peers may start on bob by name. Code never
 *   travels between nodes; a node only runs what it registered.
 *
 * Run it on its own (after `npm run build`):
 *   npx grove run --name bob@127.0.0.1 --cookie echo examples/echo/dist/bob.js
 */
import type { Node, Pid } from '@grove/core';
import { distOf, globalOf } from '@grove/distribution';

/** What the echo server takes: who to answer, and what to say back. */
interface EchoRequest {
  from: Pid;
  text: string;
}

export async function main(node: Node): Promise<void> {
  const dist = distOf(node);
  if (dist === undefined) throw new Error('bob needs a node name: grove run --name bob@127.0.0.1 ...');

  // A handler process: called once per message. Replies go to whoever `from` names,
  // on this node or any other: sending to a remote pid is the same `send`.
  const echo = node.spawnLoop(
    (msg, ctx) => {
      const { from, text } = msg as EchoRequest;
      console.log(`echo server ${ctx.self} got "${text}" from ${from.node}`);
      ctx.send(from, { echo: text, node: ctx.node.name });
    },
    { name: 'echo' },
  );

  // Cluster-wide: every connected node learns the name, and it dies with the process.
  await globalOf(node).registerName('echo_service', echo);

  // `whereami` runs on bob, whoever asks for it: its console.log prints here.
  dist.registerSpawnable('whereami', (ctx, caller: Pid) => {
    console.log(`spawned by ${caller.node}, running on ${ctx.node.name} as ${ctx.self}`);
    ctx.send(caller, { ranOn: ctx.node.name, pid: ctx.self });
  });

  console.log(`bob is up: 'echo' registered here, 'echo_service' registered globally, 'whereami' spawnable`);
  // Returning (without an exit code) keeps the node up until Ctrl-C or SIGTERM.
}

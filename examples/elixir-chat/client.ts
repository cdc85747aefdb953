/**
 * A Grove chat client for the same room (server.ts): what client.exs does, from a
 * Grove node. Lines typed on stdin are said in the room.
 *
 *   npx grove run --name carol@127.0.0.1 --cookie elixir-chat examples/elixir-chat/dist/client.js chat@127.0.0.1 carol
 */
import * as readline from 'node:readline';
import { callServer, castServer, type Node } from '@grove/core';
import { atom, isTuple, tuple } from '@grove/distribution';

export async function main(node: Node, args: string[]): Promise<number> {
  const [server, nick] = args;
  if (server === undefined || nick === undefined) {
    console.error('usage: client.js SERVER_NODE NICK');
    return 2;
  }
  const room: [string, string] = ['chat', server];
  return node.run(async (ctx) => {
    const reply = await callServer(ctx, room, tuple(atom('join'), nick));
    if (!isTuple(reply, 'ok')) {
      console.log(`cannot join: ${String(isTuple(reply) ? reply.elements[1] : reply)}`);
      return 1;
    }
    console.log(`joined as ${nick} (here: ${[...(reply.elements[1] as string[]), nick].join(', ')})`);
    const lines = readline.createInterface({ input: process.stdin });
    let done = false;
    lines.on('line', (text) => {
      if (text === '/quit') {
        done = true;
        ctx.send(ctx.self, atom('quit'));
      } else castServer(node, room, tuple(atom('say'), nick, text));
    });
    lines.on('close', () => ctx.send(ctx.self, atom('quit')));
    for (;;) {
      const m = await ctx.receive();
      if (isTuple(m, 'message')) console.log(`<${String(m.elements[1])}> ${String(m.elements[2])}`);
      else if (isTuple(m, 'joined')) console.log(`* ${String(m.elements[1])} joined`);
      else if (isTuple(m, 'left')) console.log(`* ${String(m.elements[1])} left`);
      else if (m === atom('quit')) break;
    }
    lines.close();
    console.log(done ? 'bye' : 'bye (end of input)');
    return 0;
  });
}

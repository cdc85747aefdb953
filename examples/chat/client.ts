/**
 * A chat client: a node of its own, with a session process for its user, and the
 * terminal (stdin) as the keyboard.
 *
 *   npx grove run --name ann@127.0.0.1 --cookie chat examples/chat/dist/client.js \
 *     --server chat@127.0.0.1 --nick ann
 */
import * as readline from 'node:readline';
import { isDownMessage, isShutdownWith, StartError, stopServer, type ExitReason, type Node, type Pid } from '@grove/core';
import { distOf } from '@grove/distribution';
import * as pg from '@grove/pg';
import { LOBBY, NICK, SCOPE } from './protocol';
import { Session } from './session';

const USAGE = 'usage: client.js --server NODE --nick NICK';

export async function main(node: Node, args: string[]): Promise<number> {
  const server = option(args, '--server');
  const nick = option(args, '--nick');
  if (server === undefined || nick === undefined || !NICK.test(nick)) {
    console.error(`${USAGE}\n(a nick is 1 to 16 letters, digits, _ or -)`);
    return 2;
  }
  if (distOf(node) === undefined) {
    console.error('a chat client is a node: grove run --name NICK@127.0.0.1 ...');
    return 2;
  }

  // Every client node runs the scope the rooms live in.
  await pg.start(node, SCOPE);
  if ((await distOf(node)!.ping(server)) === 'pang') {
    console.log(`cannot reach the chat server ${server}`);
    return 1;
  }
  let session: Pid;
  try {
    session = await Session.start(node, { nick, server });
  } catch (e) {
    // The session's init stopped with { shutdown: 'nick_taken' } (or 'bad_nick').
    const why = e instanceof StartError && isShutdownWith(e.reason) ? e.reason.shutdown : e;
    console.log(why === 'nick_taken' ? `the nick ${nick} is taken: pick another with --nick` : `login failed: ${String(why)}`);
    return 1;
  }
  console.log(`connected to ${server} as ${nick}, in ${LOBBY}. /help lists the commands`);

  // Typed lines go to the session; end of input (Ctrl-D) leaves the chat.
  const chat = Session.client(node, session);
  const input = readline.createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => chat.cast.line(line));
  input.on('close', () => void stopServer(node, session).catch(() => {}));

  // Wait until the session ends, whatever ends it: /quit, Ctrl-D, the server gone.
  const reason = await node.run(async (ctx): Promise<ExitReason> => {
    const ref = ctx.monitor(session);
    const down = await ctx.receive((m) => isDownMessage(m, ref));
    return down.reason;
  });
  input.close();
  return isShutdownWith(reason) && reason.shutdown === 'server_down' ? 1 : 0;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

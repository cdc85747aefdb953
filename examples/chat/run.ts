/**
 * `npm run example:chat`: a chat server and three client nodes, each its own OS
 * process, with the launcher typing into the clients for you (typed lines show as
 * `> ...`). To chat yourself, see README.md: a server in one terminal, a client in
 * each other.
 */
import { runStory, type NodeProcess } from '@grove/example-launcher';

const SERVER = 'chat@127.0.0.1';

runStory({ cookie: 'chat-example', dir: __dirname }, async (launcher) => {
  const client = (nick: string, node = nick): NodeProcess =>
    launcher.node(node, `${node}@127.0.0.1`, 'client.js', ['--server', SERVER, '--nick', nick]);
  /** Types `line` into `who`, then waits for `expected` on `on`. */
  const type = async (who: NodeProcess, line: string, expected: RegExp, on = who): Promise<void> => {
    who.type(line);
    await on.waitFor(expected);
  };

  const server = launcher.node('server', SERVER, 'server.js');
  await server.waitFor(/chat server up/);
  const ann = client('ann');
  await ann.waitFor(/connected/);
  const bob = client('bob');
  await bob.waitFor(/connected/);
  await ann.waitFor(/bob joined #lobby/); // ann's node now sees bob in the room

  await type(ann, 'hi bob!', /<ann> hi bob!/, bob);
  await type(bob, '/join lounge', /you joined #lounge/);
  // Each node's view of the room fills in as the pg scopes hear of the joins:
  // wait until each has seen the other there.
  await type(ann, '/join lounge', /you joined #lounge \(here: ann, bob\)|bob joined #lounge/);
  await bob.waitFor(/ann joined #lounge/);
  await type(bob, 'this room is nicer', /<bob> this room is nicer/, ann);
  await type(bob, '/pm ann psst', /\[pm from bob\] psst/, ann);
  await type(ann, '/rooms', /your rooms/);

  launcher.say('a second client asks for the nick ann');
  const impostor = client('ann', 'ann2');
  await impostor.exited;

  launcher.say("bob's node dies (SIGKILL): the server's monitor fires, pg drops bob from his rooms");
  bob.proc.kill('SIGKILL');
  await server.waitFor(/bob left/);
  await ann.waitFor(/bob left #lobby/);
  await type(ann, '/who', /online:/);
  await type(ann, '/rooms', /your rooms/);
  await type(ann, '/quit', /ann left/, server);
  await ann.exited;
  return 0;
});

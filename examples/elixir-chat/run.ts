/**
 * `npm run example:elixir-chat`: the chat room on a Grove node, two clients in Elixir
 * and one in Grove, each its own OS process, with the launcher typing into the clients
 * (typed lines show as `> ...`). Needs `elixir` (Debian's `elixir` package).
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runStory, type NodeProcess } from '@grove/example-launcher';

const SERVER = 'chat@127.0.0.1';
const COOKIE = 'elixir-chat';
// client.exs is not compiled: it is read from the example's folder, next to dist/.
const CLIENT_EXS = path.join(__dirname, '..', 'client.exs');

runStory({ cookie: COOKIE, dir: __dirname }, async (launcher) => {
  if (spawnSync('sh', ['-c', 'command -v elixir']).status !== 0) {
    launcher.say('elixir is not installed (Debian: apt-get install elixir)');
    return 1;
  }
  const elixir = (nick: string): NodeProcess =>
    launcher.command(nick, 'elixir', ['--name', `${nick}@127.0.0.1`, '--cookie', COOKIE, '--erl', '-start_epmd false', CLIENT_EXS, SERVER, nick]);
  const type = async (who: NodeProcess, line: string, expected: RegExp, on: NodeProcess[]): Promise<void> => {
    who.type(line);
    await Promise.all(on.map((o) => o.waitFor(expected)));
  };

  const server = launcher.node('server', SERVER, 'server.js');
  await server.waitFor(/chat room up/);
  const alice = elixir('alice');
  await alice.waitFor(/joined as alice/);
  const bob = elixir('bob');
  await bob.waitFor(/joined as bob/);
  await alice.waitFor(/\* bob joined/);
  const carol = launcher.node('carol', 'carol@127.0.0.1', 'client.js', [SERVER, 'carol']);
  await carol.waitFor(/joined as carol \(here: alice, bob, carol\)/);
  await Promise.all([alice.waitFor(/\* carol joined/), bob.waitFor(/\* carol joined/)]);

  await type(alice, 'hi from Elixir!', /<alice> hi from Elixir!/, [alice, bob, carol]);
  await type(carol, 'hello from TypeScript', /<carol> hello from TypeScript/, [alice, bob, carol]);
  await type(bob, 'héllo, wörld ✓', /<bob> héllo, wörld ✓/, [alice, bob, carol]);
  await type(bob, '/quit', /bye/, [bob]);
  await Promise.all([alice.waitFor(/\* bob left/), carol.waitFor(/\* bob left/)]);
  await type(carol, '/quit', /bye/, [carol]);
  await alice.waitFor(/\* carol left/);
  await type(alice, '/quit', /bye/, [alice]);
  await server.waitFor(/alice left/);
  launcher.say('done');
  return 0;
});

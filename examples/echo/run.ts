/**
 * `npm run example:echo`: bob and alice, each its own OS process (`grove run`, as in
 * two terminals). When alice asks, the launcher plays your part: it stops bob
 * (SIGTERM, as Ctrl-C would) and starts it again.
 */
import { runStory } from '@grove/example-launcher';

const BOB = 'bob@127.0.0.1';

runStory({ cookie: 'echo-example', dir: __dirname }, async (launcher) => {
  let bob = launcher.node('bob', BOB, 'bob.js');
  await bob.waitFor(/bob is up/);
  const alice = launcher.node('alice', 'alice@127.0.0.1', 'alice.js', [BOB]);
  await alice.waitFor(/now stop bob/);
  launcher.say('stopping bob (SIGTERM, as Ctrl-C would)');
  await bob.stop();
  launcher.say('starting bob again');
  bob = launcher.node('bob', BOB, 'bob.js');
  return alice.exited;
});

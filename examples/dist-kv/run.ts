/**
 * `npm run example:dist-kv`: three members (kv1, kv2, kv3) and a client, each its
 * own OS process. When the client asks for a member to stop, the launcher stops it
 * (SIGTERM, as Ctrl-C in its terminal would).
 */
import { runStory, type NodeProcess } from '@grove/example-launcher';

const members = ['kv1@127.0.0.1', 'kv2@127.0.0.1', 'kv3@127.0.0.1'];

runStory({ cookie: 'kv-example', dir: __dirname }, async (launcher) => {
  const nodes = new Map<string, NodeProcess>();
  // One after the other, so that each new member finds the ones before it.
  for (const name of members) {
    const node = launcher.node(name.split('@')[0]!, name, 'kv_node.js', members);
    nodes.set(name, node);
    await node.waitFor(/kv ready/);
  }
  const client = launcher.node('client', 'client@127.0.0.1', 'client.js', members, { hidden: true });
  client.on(/now stop (\S+)/, ([, name]) => void nodes.get(name!)?.stop());
  return client.exited;
});

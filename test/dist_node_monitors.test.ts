/**
 * Node monitors are counted subscriptions, as in OTP (checked against OTP 25): each
 * `monitorNodes(ctx, true, options)` adds one, and every nodeup/nodedown comes once per
 * subscription; `monitorNodes(ctx, false, options)` ends every subscription the process
 * made with the same options, and leaves the others. The peer is a node in a child OS
 * process (test/fixtures/dist_peer.js) that connects and is then killed.
 */
import { BadArgError, TIMEOUT, type ProcessContext } from '@grove/core';
import { isNodeMessage, monitorNodes, type NodeDownMessage } from '@grove/distribution';
import { removeTranspiled, transpilePackages } from './support/children';
import { cleanup, startChild, nodeName, privateEpmd, tcpNode } from './support/nodes';

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);
afterEach(cleanup);

/** The node messages in `ctx`'s mailbox, taken out, as `type node` lines. */
async function drain(ctx: ProcessContext, peer: string): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const m = await ctx.receive(isNodeMessage, 0);
    if (m === TIMEOUT) return got;
    got.push(`${m.type} ${m.node === peer ? 'peer' : m.node}`);
  }
}

it('delivers each nodeup and nodedown once per subscription, and monitorNodes(false) ends those with the same options', async () => {
  const epmd = await privateEpmd();
  const alice = await tcpNode('alice', epmd);
  const log = await alice.node.run(async (ctx) => {
    monitorNodes(ctx, true); // a library
    monitorNodes(ctx, true); // another library in the same process
    monitorNodes(ctx, true, { nodeType: 'all' });
    const bob = await startChild('dist_peer', nodeName('bob'), epmd);
    await bob.request('connect', { node: alice.name });
    const ups: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ctx.receive(isNodeMessage, 5000); // bounds a failure only
      ups.push(m === TIMEOUT ? 'none' : m.type);
    }
    const upsAfter = await drain(ctx, bob.name);
    monitorNodes(ctx, false); // both visible subscriptions go; the 'all' one stays
    monitorNodes(ctx, false, { nodeType: 'hidden' }); // none with these options: nothing changes
    bob.kill();
    const down = (await ctx.receive(isNodeMessage)) as NodeDownMessage;
    await alice.ping(bob.name); // pang: whatever else was coming has come
    return { ups, upsAfter, down: [down.type, down.node === bob.name], downsAfter: await drain(ctx, bob.name) };
  });
  expect(log).toEqual({ ups: ['nodeup', 'nodeup', 'nodeup'], upsAfter: [], down: ['nodedown', true], downsAfter: [] });
});

it('refuses a node type it does not know with a BadArgError', async () => {
  const epmd = await privateEpmd();
  const alice = await tcpNode('alice', epmd);
  const err = await alice.node.run((ctx) => {
    try {
      monitorNodes(ctx, true, { nodeType: 'everything' as 'all' });
      return null;
    } catch (e) {
      return e;
    }
  });
  expect(err).toBeInstanceOf(BadArgError);
  expect((err as Error).message).toContain('everything');
});

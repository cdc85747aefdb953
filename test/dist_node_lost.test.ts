/**
 * What a process sees when the node it works with is lost or cannot be reached, as in
 * OTP: a call fails with `{ nodedown: node }` (OTP's `gen:call` exits with
 * `{nodedown, Node}`), and a spawn_link or spawn_monitor toward a node that cannot be
 * reached returns a pid, then delivers `noconnection` (an EXIT or a DOWN). The peer is
 * a node in a child OS process (test/fixtures/dist_peer.js), killed during the test.
 */
import { callServer, CallExitError, isDownMessage, isExitMessage, Pid, type DownMessage, type ExitMessage } from '@grove/core';
import { spawnLinkRemote, spawnMonitorRemote, spawnRemote } from '@grove/distribution';
import { removeTranspiled, transpilePackages } from './support/children';
import { cleanup, startChild, nodeName, privateEpmd, tcpNode } from './support/nodes';

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);
afterEach(cleanup);

describe('a call whose node is lost', () => {
  it('fails with { nodedown: node } when the node goes down during the call', async () => {
    const epmd = await privateEpmd();
    const alice = await tcpNode('alice', epmd);
    const bob = await startChild('dist_peer', nodeName('bob'), epmd);
    const err = await alice.node.run(async (ctx) => {
      const idle = await spawnRemote(ctx, bob.name, 'idle'); // never answers a call
      const call = callServer(ctx, idle, 'hello', 'infinity').catch((e: unknown) => e);
      bob.kill();
      return call;
    });
    expect(err).toBeInstanceOf(CallExitError);
    expect({ reason: (err as CallExitError).reason, noconnection: (err as CallExitError).noconnection }).toEqual({ reason: { nodedown: bob.name }, noconnection: true });
  });

  it('fails with { nodedown: node } at once when the node cannot be reached', async () => {
    const epmd = await privateEpmd();
    const alice = await tcpNode('alice', epmd);
    const nobody = nodeName('nobody');
    const err = await callServer(alice.node, ['counter', nobody], 'get').catch((e: unknown) => e);
    expect({ reason: (err as CallExitError).reason, noconnection: (err as CallExitError).noconnection }).toEqual({ reason: { nodedown: nobody }, noconnection: true });
  });
});

describe('a spawn_link or spawn_monitor toward a node that cannot be reached', () => {
  it('returns a pid, then delivers EXIT noconnection to the linked caller and DOWN noconnection to the monitoring one', async () => {
    const epmd = await privateEpmd();
    const alice = await tcpNode('alice', epmd);
    const bob = await startChild('dist_peer', nodeName('bob'), epmd);
    expect(await alice.ping(bob.name)).toBe('pong');
    bob.kill();
    await bob.exited;
    const got = await alice.node.run(async (ctx) => {
      ctx.trapExit(true);
      const linked = await spawnLinkRemote(ctx, bob.name, 'idle');
      const exit = (await ctx.receive((m) => isExitMessage(m) && m.from.equals(linked))) as ExitMessage;
      const [monitored, ref] = await spawnMonitorRemote(ctx, bob.name, 'idle');
      const down = (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
      return { exit: exit.reason, down: down.reason, pids: [linked, monitored].every((p) => p instanceof Pid) };
    });
    expect(got).toEqual({ exit: 'noconnection', down: 'noconnection', pids: true });
  });
});

/**
 * Signal order between OS processes: a process in a child OS process
 * (test/fixtures/dist_peer.js, `signals`) sends messages and exit signals to a process
 * of a node in this one, over TCP. As in OTP, signals from one sender arrive in the
 * order sent: an exit signal overtakes neither the messages sent before it nor is
 * overtaken by those sent after it (test/dist_signal_order.test.ts has the same in one
 * OS process).
 */
import { GenCall, isDownMessage, isExitMessage, reply, type Pid } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { removeTranspiled, transpilePackages } from './support/children';
import { cleanup, startChild, exitOf, type ChildNode, nodeName, privateEpmd, tcpNode, waitFor } from './support/nodes';

beforeAll(() => transpilePackages(['core', 'distribution', 'testing']));
afterAll(removeTranspiled);
afterEach(cleanup);

type Step = ['send', string] | ['exit', string] | ['link'] | ['crash', string];

/** Alice (here) and bob (a child OS process). */
async function aliceAndBob(): Promise<{ alice: DistNode; bob: ChildNode }> {
  const epmd = await privateEpmd();
  const [alice, bob] = await Promise.all([tcpNode('alice', epmd), startChild('dist_peer', nodeName('bob'), epmd)]);
  return { alice, bob };
}

/**
 * Has a process on bob run `steps` against `target` (a process of alice): it learns
 * the pid from alice's `pids` process, which first tells `target` who asks
 * (`{ watch: pid }`, for a target that monitors its sender).
 */
async function runOnBob(alice: DistNode, bob: ChildNode, target: Pid, steps: Step[]): Promise<void> {
  alice.node.spawnLoop(
    (m) => {
      if (!(m instanceof GenCall)) return;
      alice.node.send(target, { watch: m.from.pid });
      reply(alice.node, m.from, target);
    },
    { name: 'pids' },
  );
  await bob.request('signals', { node: alice.name, name: 'pids', steps });
}

/** What a process got, in order, as lines (its `watch` message left out). */
function recorder(got: string[]): (m: unknown) => void {
  return (m) => {
    if (isExitMessage(m)) got.push(`EXIT ${String(m.reason)}`);
    else if (isDownMessage(m)) got.push('DOWN');
    else if (typeof m === 'string') got.push(m);
  };
}

describe('signals from a process in another OS process', () => {
  it('reach a trapping process in the order sent: messages, the exit signal, later messages', async () => {
    const { alice, bob } = await aliceAndBob();
    const got: string[] = [];
    const victim = alice.node.spawnLoop(recorder(got), { trapExit: true });
    await runOnBob(alice, bob, victim, [['send', 'm1'], ['send', 'm2'], ['exit', 'custom'], ['send', 'm3']]);
    await waitFor(() => got.length === 4, 'four signals');
    expect(got).toEqual(['m1', 'm2', 'EXIT custom', 'm3']);
  });

  it('kill a process waiting in receive before it sees a message sent after the exit signal', async () => {
    const { alice, bob } = await aliceAndBob();
    const ran: unknown[] = [];
    const victim = alice.node.spawn(async (c) => {
      await c.receive((m) => typeof m === 'object' && m !== null && 'watch' in m);
      ran.push(await c.receive()); // must never run
    });
    const exited = exitOf(alice, victim);
    await runOnBob(alice, bob, victim, [['exit', 'custom'], ['send', 'm1']]);
    expect({ reason: await exited, ran }).toEqual({ reason: 'custom', ran: [] });
  });

  it("give a trapping process linked to a remote sender the sender's messages before its EXIT", async () => {
    const { alice, bob } = await aliceAndBob();
    const got: string[] = [];
    const victim = alice.node.spawnLoop(recorder(got), { trapExit: true });
    await runOnBob(alice, bob, victim, [['link'], ['send', 'm1'], ['send', 'm2'], ['crash', 'boom']]);
    await waitFor(() => got.length === 3, 'three signals');
    expect(got).toEqual(['m1', 'm2', 'EXIT boom']);
  });

  it("give a process monitoring a remote sender the sender's messages before the DOWN", async () => {
    const { alice, bob } = await aliceAndBob();
    const got: string[] = [];
    const record = recorder(got);
    const victim = alice.node.spawnLoop((m, ctx) => {
      if (typeof m === 'object' && m !== null && 'watch' in m) ctx.monitor((m as { watch: Pid }).watch);
      else record(m);
    });
    await runOnBob(alice, bob, victim, [['send', 'm1'], ['send', 'm2'], ['crash', 'boom']]);
    await waitFor(() => got.length === 3, 'three signals');
    expect(got).toEqual(['m1', 'm2', 'DOWN']);
  });
});

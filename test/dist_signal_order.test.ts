/**
 * Signal order between nodes: what one process sends a process on another node
 * (messages, exit signals, link exits, DOWNs, call replies) arrives in the order
 * sent, over the in-memory transport and over TCP on 127.0.0.1.
 */
import { Call, GenServer, isDownMessage, isExitMessage, type DownMessage, type Pid, type ProcessContext } from '@grove/core';
import { startDistributed, type DistNode } from '@grove/distribution';
import { cleanup, COOKIE, exitOf, nodeName, privateEpmd, tcpNode, waitFor } from './support/nodes';

const memoryNodes = new Set<DistNode>();

afterEach(async () => {
  const ds = [...memoryNodes];
  memoryNodes.clear();
  await Promise.all(ds.map((d) => d.stop()));
  await cleanup();
});

/** Two connected nodes over `transport`, stopped after the test. */
async function pair(transport: 'memory' | 'tcp'): Promise<[DistNode, DistNode]> {
  let a: DistNode;
  let b: DistNode;
  if (transport === 'memory') {
    [a, b] = await Promise.all(
      ['a', 'b'].map((p) => startDistributed({ name: nodeName(p), cookie: COOKIE, transport: 'memory' })),
    ) as [DistNode, DistNode];
    memoryNodes.add(a).add(b);
  } else {
    const epmd = await privateEpmd();
    [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
  }
  expect(await a.connect(b.name)).toBe(true);
  return [a, b];
}

/** Waits until `pid` (a process of `d`) sits in `receive` with nothing to do. */
async function waitingInReceive(d: DistNode, pid: Pid): Promise<void> {
  await waitFor(() => d.node.processInfo(pid)?.status === 'waiting', 'the process to wait in receive');
}

class Killer extends GenServer<{ call: 'killMe' }> {
  @Call() killMe(): string {
    this.ctx.exit(this.from.pid, 'custom');
    return 'reply after the exit signal';
  }
}

describe.each([['memory'], ['tcp']] as const)('signals between nodes (%s transport)', (transport) => {
  it('kill a remote process waiting in receive before it sees a message sent after the exit signal', async () => {
    const [a, b] = await pair(transport);
    const ran: unknown[] = [];
    const victim = b.node.spawn(async (c) => {
      ran.push(await c.receive()); // must never run
    });
    await waitingInReceive(b, victim);
    const exited = exitOf(b, victim);
    await a.node.run((ctx) => {
      ctx.exit(victim, 'custom');
      ctx.send(victim, 'm1');
    });
    expect({ reason: await exited, ran }).toEqual({ reason: 'custom', ran: [] });
  });

  it('reach a trapping remote process as an EXIT before a message sent after it', async () => {
    const [a, b] = await pair(transport);
    const got: unknown[] = [];
    const victim = b.node.spawnLoop((m) => void got.push(isExitMessage(m) ? `EXIT ${String(m.reason)}` : m), { trapExit: true });
    await a.node.run((ctx) => {
      ctx.exit(victim, 'custom');
      ctx.send(victim, 'm1');
    });
    await waitFor(() => got.length === 2, 'two messages');
    expect(got).toEqual(['EXIT custom', 'm1']);
  });

  it('kill a process linked to and monitoring a remote one that crashes before it sees the DOWN', async () => {
    const [a, b] = await pair(transport);
    const crashing = b.node.spawn(async (c) => {
      await c.receive((m) => m === 'crash');
      c.exit('boom');
    });
    const ran: unknown[] = [];
    const watcher = a.node.spawn(async (c: ProcessContext) => {
      c.link(crashing);
      const ref = c.monitor(crashing);
      c.send(crashing, 'linked');
      await c.receive((m) => isDownMessage(m, ref));
      ran.push('saw the DOWN'); // must never run
    });
    await waitingInReceive(a, watcher);
    const exited = exitOf(a, watcher);
    a.node.send(crashing, 'crash');
    expect({ reason: await exited, ran }).toEqual({ reason: 'boom', ran: [] });
  });

  it('give a trapping process linked to and monitoring a remote one the EXIT before the DOWN', async () => {
    const [a, b] = await pair(transport);
    const crashing = b.node.spawn(async (c) => {
      await c.receive((m) => m === 'crash');
      c.exit('boom');
    });
    const got = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(crashing);
      const ref = ctx.monitor(crashing);
      ctx.send(crashing, 'crash');
      const first = await ctx.receive((m) => isExitMessage(m) || isDownMessage(m, ref));
      const second = await ctx.receive((m) => isExitMessage(m) || isDownMessage(m, ref));
      return [first, second].map((m) => (isExitMessage(m) ? `EXIT ${String(m.reason)}` : `DOWN ${String((m as DownMessage).reason)}`));
    });
    expect(got).toEqual(['EXIT boom', 'DOWN boom']);
  });

  it('answer a monitor made behind an exit signal that kills the remote target with DOWN noproc', async () => {
    const [a, b] = await pair(transport);
    const victim = b.node.spawn(async (c) => {
      await c.receive((m) => m === 'never');
    });
    const reason = await a.node.run(async (ctx) => {
      ctx.exit(victim, 'custom');
      const ref = ctx.monitor(victim);
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(reason).toBe('noproc');
  });

  it('never resume a remote caller that the server killed before it replied', async () => {
    const [a, b] = await pair(transport);
    const server = (await Killer.start(b.node)) as Pid;
    const seen: unknown[] = [];
    const caller = a.node.spawn(async (c) => {
      seen.push(await Killer.client(c, server).call.killMe()); // must never run
    });
    const reason = await exitOf(a, caller);
    expect({ reason, seen }).toEqual({ reason: 'custom', seen: [] });
  });
});

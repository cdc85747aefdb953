/**
 * The relay between two real nodes: the link runs through it whichever side
 * dials, and cut, heal, delay, pause and drop act on that one link only.
 */
import { isDownMessage, type Pid } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { Probe, useCluster, waitFor } from '@grove/testing';
import '@grove/testing/jest';

const cluster = useCluster();

/** A process on `d` registered as 'echo' that sends each `{from, v}` back as `v`. */
function echo(d: DistNode): void {
  d.node.spawnLoop((msg, c) => {
    const m = msg as { from: Pid; v: unknown };
    c.send(m.from, m.v);
  }, { name: 'echo' });
}

describe('Relay', () => {
  it.each([['a', 'b'], ['b', 'a']] as const)('carries the link between two nodes when %s dials %s', async (from, to) => {
    const pair = await cluster().relayed();
    await expect(pair[from].ping(pair[to].name)).resolves.toBe('pong');
    expect(pair.relay.connections).toBe(1);
    expect(pair.relay.accepted).toBe(1);
  });

  it('cut drops the link for both nodes (monitors get noconnection) and refuses it until heal', async () => {
    const { a, b, relay } = await cluster().relayed();
    echo(b);
    const probe = new Probe(a.node);
    await expect(a.ping(b.name)).resolves.toBe('pong');
    const remote = b.node.whereis('echo')!;
    const watcher = a.node.spawn(async (ctx) => {
      const ref = ctx.monitor(remote);
      const down = await ctx.receive((m) => isDownMessage(m, ref));
      ctx.send(probe.pid, down);
    });
    await waitFor(() => b.node.processInfo(remote)!.monitoredBy === 1, 'the monitor to reach b');
    relay.cut();
    await expect(probe).toReceive(expect.objectContaining({ reason: 'noconnection' }), 5000);
    expect(a.node.isAlive(watcher)).toBe(false);
    await waitFor(() => a.nodes().length === 0 && b.nodes().length === 0, 'both nodes to see the link gone');
    await expect(a.ping(b.name)).resolves.toBe('pang');
    relay.heal();
    await expect(a.ping(b.name)).resolves.toBe('pong');
    expect(relay.cuts).toBe(1);
  });

  it('delay holds messages back but keeps their order', async () => {
    const { a, b, relay } = await cluster().relayed();
    echo(b);
    const probe = new Probe(a.node);
    await expect(a.ping(b.name)).resolves.toBe('pong');
    relay.delay(30);
    for (let i = 0; i < 20; i++) a.node.send(['echo', b.name], { from: probe.pid, v: i });
    await waitFor(() => probe.messages.length === 20, 'the 20 echoes');
    expect(probe.messages).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('pause holds everything with the link open; resume lets it through in order', async () => {
    const { a, b, relay } = await cluster().relayed();
    echo(b);
    const probe = new Probe(a.node);
    await expect(a.ping(b.name)).resolves.toBe('pong');
    relay.pause();
    for (let i = 0; i < 5; i++) a.node.send(['echo', b.name], { from: probe.pid, v: i });
    await expect(probe).not.toReceive(0, 200);
    expect(relay.connections).toBe(1);
    relay.resume();
    await waitFor(() => probe.messages.length === 5, 'the held echoes');
    expect(probe.messages).toEqual([0, 1, 2, 3, 4]);
  });

  it('drop(1) resets the link on the first chunk it forwards', async () => {
    const { a, b, relay } = await cluster().relayed();
    await expect(a.ping(b.name)).resolves.toBe('pong');
    relay.drop(1);
    await expect(a.ping(b.name)).resolves.toBe('pang');
    expect(relay.cuts).toBeGreaterThanOrEqual(1);
    relay.heal();
    await expect(a.ping(b.name)).resolves.toBe('pong');
  });

  it('refuses bad fault settings', async () => {
    const { relay } = await cluster().relayed();
    expect(() => relay.drop(2)).toThrow(/ratio must be between 0 and 1, got 2/);
    expect(() => relay.delay(-5)).toThrow(/ms must be a finite number >= 0, got -5/);
  });
});

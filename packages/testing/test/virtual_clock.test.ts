/**
 * The virtual clock: timers, receive timeouts and call timeouts fire on advance(),
 * in order, with the processes running between them; no real time passes.
 */
import { Call, CallTimeoutError, callServer, GenServer, NO_REPLY, TIMEOUT, type Node, type NoReply } from '@grove/core';
import { Probe, VirtualClock } from '@grove/testing';

class Slow extends GenServer<{ call: 'hold' | 'ping' }> {
  @Call() hold(): NoReply {
    return NO_REPLY; // never replies
  }
  @Call() ping(): string {
    return 'pong';
  }
}

let clock: VirtualClock;
let node: Node;
beforeEach(() => {
  clock = new VirtualClock();
  node = clock.node();
});
afterEach(() => node.halt());

describe('VirtualClock', () => {
  it('times a 5000 ms call out on advance(5000), not before, and the server still answers', async () => {
    const server = await Slow.start(node);
    const outcome = node.run((ctx) => callServer(ctx, server, 'hold', 5000).then(() => 'replied', (e: unknown) => e));
    await clock.advance(4999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await clock.settle();
    expect(settled).toBe(false);
    await clock.advance(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(CallTimeoutError);
    expect((err as CallTimeoutError).timeoutMs).toBe(5000);
    await expect(node.run((ctx) => callServer(ctx, server, 'ping'))).resolves.toBe('pong');
  });

  it('fires sendAfter timers in deadline order, each at its time', async () => {
    const probe = new Probe(node);
    node.sendAfter(probe.pid, 'c', 300);
    node.sendAfter(probe.pid, 'a', 100);
    node.sendAfter(probe.pid, 'b', 200);
    await clock.advance(150);
    expect(probe.messages).toEqual(['a']);
    await clock.advance(150);
    expect(probe.messages).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(300);
  });

  it('fires a timer a process sets while advance runs, when it falls due within it', async () => {
    const probe = new Probe(node);
    // Each tick arms the next one 100 ms later: a periodic timer.
    node.spawnLoop((msg, ctx) => {
      ctx.send(probe.pid, msg);
      if ((msg as number) < 5) ctx.sendAfter(ctx.self, (msg as number) + 1, 100);
    }, { name: 'ticker' });
    node.send('ticker', 1);
    await clock.advance(350);
    expect(probe.messages).toEqual([1, 2, 3, 4]);
  });

  it('ends a receive timeout on advance', async () => {
    const got = node.run(async (ctx) => [await ctx.receive((m) => m === 'never', 1000), await ctx.receive((m) => m === 'late', 1000)]);
    await clock.advance(1000);
    node.send(node.processes().at(-1)!, 'late');
    await clock.settle();
    await expect(got).resolves.toEqual([TIMEOUT, 'late']);
  });

  it('refuses a negative or infinite advance', async () => {
    await expect(clock.advance(-1)).rejects.toThrow(/finite number >= 0, got -1/);
    await expect(clock.advance(Infinity)).rejects.toThrow(/got Infinity/);
  });
});

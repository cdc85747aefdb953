/**
 * Several nodes in one OS process, without distribution: each is a world of its own.
 * A pid of one node is not alive on the other; sends to it are dropped (Erlang drops
 * sends to a node it cannot reach); links and monitors to it fire at once with
 * `noconnection` (another node's name) or `noproc` (same name, other incarnation).
 */
import { isDownMessage, isExitMessage, Node, TIMEOUT, type DownMessage, type ExitMessage, type Pid, type ProcessContext } from '@grove/core';

const waitForever = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive((m) => m === 'stop');
};

describe('two nodes in one OS process, not distributed', () => {
  let alice: Node;
  let bob: Node;
  let onAlice: Pid;
  beforeEach(() => {
    alice = new Node({ name: 'alice@localhost' });
    bob = new Node({ name: 'bob@localhost' });
    onAlice = alice.spawn(waitForever, { name: 'shared_name' });
  });
  afterEach(() => {
    alice.halt();
    bob.halt();
  });

  it('keeps pids apart: a pid of one node is not alive or local on the other', () => {
    expect(alice.isAlive(onAlice)).toBe(true);
    expect(bob.isAlive(onAlice)).toBe(false);
    expect(bob.isLocal(onAlice)).toBe(false);
    expect(bob.processInfo(onAlice)).toBeUndefined();
    expect(bob.processes().some((p) => p.equals(onAlice))).toBe(false);
  });

  it('keeps registries apart: a name on one node is unknown on the other', async () => {
    expect(bob.whereis('shared_name')).toBeUndefined();
    const onBob = bob.spawn(waitForever, { name: 'shared_name' });
    expect(alice.whereis('shared_name')).toEqual(onAlice);
    expect(bob.whereis('shared_name')).toEqual(onBob);
  });

  it('drops a send to a pid of the other node, without an error', async () => {
    const got = await alice.run(async (ctx) => {
      const test = ctx.self;
      bob.send(test, 'from outside bob');
      await bob.run(async (b) => b.send(test, 'from a bob process'));
      return ctx.receive(undefined, 0);
    });
    expect(got).toBe(TIMEOUT);
  });

  it('gives a trapping process an EXIT noconnection when it links to the other node', async () => {
    const exit = await bob.run(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(onAlice);
      return (await ctx.receive(isExitMessage)) as ExitMessage;
    });
    expect(exit.reason).toBe('noconnection');
    expect(exit.from).toEqual(onAlice);
    // The process on alice never heard of it.
    expect(alice.processInfo(onAlice)?.links).toEqual([]);
  });

  it('kills a non-trapping process that links to the other node, with noconnection', async () => {
    await expect(
      bob.run(async (ctx) => {
        ctx.link(onAlice);
        await ctx.receive();
      }),
    ).rejects.toThrow('noconnection');
    expect(alice.isAlive(onAlice)).toBe(true);
  });

  it('gives a monitor of the other node a DOWN noconnection', async () => {
    const down = await bob.run(async (ctx) => {
      const ref = ctx.monitor(onAlice);
      return (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
    });
    expect(down.reason).toBe('noconnection');
    expect(alice.processInfo(onAlice)?.monitoredBy).toBe(0);
  });

  it('drops a send to [name, other node] without an error', async () => {
    const got = await bob.run(async (ctx) => {
      ctx.send(['shared_name', alice.name], 'hello');
      return 'sent';
    });
    expect(got).toBe('sent');
    expect(alice.processInfo(onAlice)?.mailboxLength).toBe(0);
  });
});

describe('two default nodes (both nonode@nohost) in one OS process', () => {
  it('tells their pids apart by creation: a pid of one is not alive on the other', async () => {
    const one = new Node();
    const two = new Node();
    try {
      expect(one.name).toBe(two.name);
      expect(one.creation).not.toBe(two.creation);
      const p = one.spawn(waitForever);
      expect(two.isAlive(p)).toBe(false);
      const got = await two.run(async (ctx) => {
        ctx.send(p, 'lost');
        ctx.trapExit(true);
        ctx.link(p);
        const exit = (await ctx.receive(isExitMessage)) as ExitMessage;
        const ref = ctx.monitor(p);
        const down = (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
        return [exit.reason, down.reason];
      });
      // Same node name: the pid is from an earlier incarnation as far as `two` knows.
      expect(got).toEqual(['noproc', 'noproc']);
      expect(one.processInfo(p)?.mailboxLength).toBe(0);
    } finally {
      one.halt();
      two.halt();
    }
  });

  it('refuses a malformed node name', () => {
    expect(() => new Node({ name: 'no-at-sign' })).toThrow(/name@host/);
  });
});

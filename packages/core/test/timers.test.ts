import { BadArgError, isDownMessage, ManualClock, Node, TIMEOUT, type Pid } from '@grove/core';
import { node, useNode, waitForever } from './helpers';

describe('timers', () => {
  let clock: ManualClock;
  useNode(() => ({ clock: (clock = new ManualClock()) }));

  it('sendAfter delivers the message once the time has passed, not before', async () => {
    const got = await node.run(async (ctx) => {
      ctx.sendAfter(ctx.self, 'tick', 100);
      clock.advance(99);
      const early = await ctx.receive(undefined, 0);
      clock.advance(1);
      return [early, await ctx.receive(undefined, 0)];
    });
    expect(got).toEqual([TIMEOUT, 'tick']);
  });

  it('sendAfter to a registered name delivers to whoever holds it when the timer fires', async () => {
    const got = await node.run(async (ctx) => {
      ctx.sendAfter('late_name', 'for you', 50);
      ctx.register('late_name');
      clock.advance(50);
      return ctx.receive(undefined, 0);
    });
    expect(got).toBe('for you');
  });

  it('drops a timed message to a name that nobody holds when the timer fires', async () => {
    const got = await node.run(async (ctx) => {
      ctx.sendAfter('nobody_here', 'lost', 10);
      clock.advance(10);
      return { pending: clock.pending, alive: node.isAlive(ctx.self), msg: await ctx.receive(undefined, 0) };
    });
    expect(got).toEqual({ pending: 0, alive: true, msg: TIMEOUT });
  });

  it('fires timers in deadline order', async () => {
    const got = await node.run(async (ctx) => {
      ctx.sendAfter(ctx.self, 'c', 30);
      ctx.sendAfter(ctx.self, 'a', 10);
      ctx.sendAfter(ctx.self, 'b', 20);
      clock.advance(30);
      return [await ctx.receive(), await ctx.receive(), await ctx.receive()];
    });
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('cancelTimer returns the milliseconds left, then false', async () => {
    const got = await node.run(async (ctx) => {
      const ref = ctx.sendAfter(ctx.self, 'never', 1000);
      clock.advance(300);
      const left = ctx.cancelTimer(ref);
      const again = ctx.cancelTimer(ref);
      clock.advance(1000);
      return { left, again, msg: await ctx.receive(undefined, 0), pending: clock.pending };
    });
    expect(got).toEqual({ left: 700, again: false, msg: TIMEOUT, pending: 0 });
  });

  it('cancelTimer returns false for a timer that already fired', async () => {
    const got = await node.run(async (ctx) => {
      const ref = ctx.sendAfter(ctx.self, 'fired', 10);
      clock.advance(10);
      return [ctx.cancelTimer(ref), await ctx.receive(undefined, 0)];
    });
    expect(got).toEqual([false, 'fired']);
  });

  it('cancels the timers of a process when it exits: nothing is sent afterwards', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const [owner, ref] = ctx.spawnMonitor(async (o) => {
        o.sendAfter(test, 'from a dead owner', 100);
        o.sendAfter(test, 'another', 200);
        o.send(test, 'armed');
        await o.receive((m) => m === 'stop');
      });
      await ctx.receive((m) => m === 'armed');
      const armed = clock.pending;
      ctx.send(owner, 'stop');
      await ctx.receive((m) => isDownMessage(m, ref));
      const left = clock.pending;
      clock.advance(1000);
      return { armed, left, msg: await ctx.receive(undefined, 0) };
    });
    expect(got).toEqual({ armed: 2, left: 0, msg: TIMEOUT });
  });

  it('cancels a timer whose destination pid exits, even when its owner lives on', async () => {
    const got = await node.run(async (ctx) => {
      const [target, ref] = ctx.spawnMonitor(waitForever);
      const timer = ctx.sendAfter(target, 'too late', 100);
      const armed = clock.pending;
      ctx.send(target, 'stop');
      await ctx.receive((m) => isDownMessage(m, ref));
      return { armed, left: clock.pending, cancel: ctx.cancelTimer(timer) };
    });
    expect(got).toEqual({ armed: 1, left: 0, cancel: false });
  });

  it('does not arm a timer for a pid that is already dead', async () => {
    const got = await node.run(async (ctx) => {
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref));
      const timer = ctx.sendAfter(dead, 'x', 10);
      return { pending: clock.pending, cancel: ctx.cancelTimer(timer) };
    });
    expect(got).toEqual({ pending: 0, cancel: false });
  });

  it('node.sendAfter works from outside any process and halt stops it', async () => {
    const got = await node.run(async (ctx) => {
      node.sendAfter(ctx.self, 'from outside', 5);
      clock.advance(5);
      return ctx.receive(undefined, 0);
    });
    expect(got).toBe('from outside');
    let target: Pid | undefined;
    await node.run(async (ctx) => {
      target = ctx.spawn(waitForever);
    });
    node.sendAfter(target!, 'never', 10);
    expect(clock.pending).toBe(1);
    node.halt();
    expect(clock.pending).toBe(0);
  });

  it.each([
    ['a negative delay', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '10'],
  ])('rejects %s as a delay with BadArgError', async (_label, ms) => {
    const err = await node.run(async (ctx) => {
      try {
        ctx.sendAfter(ctx.self, 'x', ms as number);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(BadArgError);
    expect(clock.pending).toBe(0);
  });
});

describe('timers on the system clock', () => {
  it('sendAfter delivers without any clock being advanced by hand', async () => {
    const node = new Node();
    try {
      const got = await node.run(async (ctx) => {
        ctx.sendAfter(ctx.self, 'real tick', 1);
        return ctx.receive();
      });
      expect(got).toBe('real tick');
    } finally {
      node.halt();
    }
  });
});

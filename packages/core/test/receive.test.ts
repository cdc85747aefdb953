import { isDownMessage, ManualClock, TIMEOUT, type Pid, type ProcessContext } from '@grove/core';
import { node, useNode } from './helpers';

describe('receive', () => {
  describe('on the system clock', () => {
    useNode();

    it('takes the first matching message and keeps the skipped ones in their order', async () => {
      const got = await node.run(async (ctx) => {
        for (const m of [1, 'a', 2, 'b', 3, 'c']) ctx.send(ctx.self, m);
        const first = await ctx.receive((m): m is string => typeof m === 'string');
        const second = await ctx.receive((m): m is string => typeof m === 'string');
        const rest: unknown[] = [];
        for (;;) {
          const m = await ctx.receive(undefined, 0);
          if (m === TIMEOUT) break;
          rest.push(m);
        }
        return { first, second, rest };
      });
      expect(got).toEqual({ first: 'a', second: 'b', rest: [1, 2, 3, 'c'] });
    });

    it('waits for a matching message while non-matching ones pile up in order', async () => {
      const got = await node.run(async (ctx) => {
        const test = ctx.self;
        const sender = ctx.spawn(async (s) => {
          await s.receive((m) => m === 'go');
          for (const m of ['x1', 'x2', 'wanted', 'x3']) s.send(test, m);
        });
        const pending = ctx.receive((m) => m === 'wanted');
        ctx.send(sender, 'go');
        const wanted = await pending;
        return [wanted, await ctx.receive(), await ctx.receive(), await ctx.receive()];
      });
      expect(got).toEqual(['wanted', 'x1', 'x2', 'x3']);
    });

    it('returns TIMEOUT when no matching message arrives in time', async () => {
      const got = await node.run(async (ctx) => {
        ctx.send(ctx.self, 'not this');
        const r = await ctx.receive((m) => m === 'this', 5);
        return [r, ctx.mailboxLength];
      });
      expect(got).toEqual([TIMEOUT, 1]);
    });

    it('polls with a timeout of 0: the first match, else TIMEOUT at once', async () => {
      const got = await node.run(async (ctx) => {
        const empty = await ctx.receive(undefined, 0);
        ctx.send(ctx.self, 'here');
        return [empty, await ctx.receive(undefined, 0)];
      });
      expect(got).toEqual([TIMEOUT, 'here']);
    });

    it('rejects a bad timeout with a clear error', async () => {
      const err = await node.run(async (ctx) => {
        try {
          await ctx.receive(undefined, -1);
        } catch (e) {
          return e;
        }
        return null;
      });
      expect(err).toMatchObject({ code: 'badarg', message: expect.stringContaining('timeoutMs') });
    });

    it('delivers 100,000 messages in the order they were sent', async () => {
      const count = 100_000;
      const result = await node.run(async (ctx) => {
        const test = ctx.self;
        let expected = 0;
        let outOfOrder = 0;
        const receiver = ctx.node.spawnLoop((m) => {
          if (m !== expected) outOfOrder++;
          expected++;
          if (expected === count) ctx.node.send(test, { received: expected, outOfOrder });
        });
        ctx.spawn((s) => {
          for (let i = 0; i < count; i++) s.send(receiver, i);
        });
        return ctx.receive();
      });
      expect(result).toEqual({ received: count, outOfOrder: 0 });
    });

    it('keeps the order of each sender while several senders interleave', async () => {
      const senders = 4;
      const perSender = 2_000;
      const result = await node.run(async (ctx) => {
        const test = ctx.self;
        const seen: number[][] = Array.from({ length: senders }, () => []);
        const arrival: number[] = [];
        let total = 0;
        const receiver = ctx.node.spawnLoop((m) => {
          const [who, seq] = m as [number, number];
          seen[who]!.push(seq);
          arrival.push(who);
          if (++total === senders * perSender) ctx.node.send(test, 'done');
        });
        for (let who = 0; who < senders; who++) {
          ctx.spawn(async (s) => {
            for (let seq = 0; seq < perSender; seq++) {
              s.send(receiver, [who, seq]);
              if (seq % 7 === 0) await null; // let the other senders run in between
            }
          });
        }
        await ctx.receive((m) => m === 'done');
        let switches = 0;
        for (let i = 1; i < arrival.length; i++) if (arrival[i] !== arrival[i - 1]) switches++;
        return { seen, switches };
      });
      const inOrder = Array.from({ length: perSender }, (_, i) => i);
      for (const list of result.seen) expect(list).toEqual(inOrder);
      // The senders really interleaved: the receiver switched sender many times.
      expect(result.switches).toBeGreaterThan(senders * 10);
    });

    it('refuses a second concurrent receive in the same process', async () => {
      const err = await node.run(async (ctx) => {
        void ctx.receive((m) => m === 'never', 'infinity');
        try {
          await ctx.receive();
        } catch (e) {
          return e;
        }
        return null;
      });
      expect(err).toMatchObject({ code: 'badarg' });
    });
  });

  describe('on a ManualClock', () => {
    let clock: ManualClock;
    useNode(() => ({ clock: (clock = new ManualClock()) }));

    it('times out exactly when the clock is advanced past the timeout, without waiting', async () => {
      const got = await node.run(async (ctx) => {
        let settled = false;
        const pending = ctx.receive(undefined, 1000).then((r) => {
          settled = true;
          return r;
        });
        clock.advance(999);
        await new Promise(setImmediate);
        const early = settled;
        clock.advance(1);
        return { early, result: await pending };
      });
      expect(got).toEqual({ early: false, result: TIMEOUT });
    });

    it('cancels the receive timeout when a message arrives first', async () => {
      const got = await node.run(async (ctx) => {
        const test: Pid = ctx.self;
        const pending = ctx.receive(undefined, 1000);
        const during = clock.pending;
        ctx.node.send(test, 'hello');
        const r = await pending;
        return { during, r, after: clock.pending };
      });
      expect(got).toEqual({ during: 1, r: 'hello', after: 0 });
    });

    it('does not fire the timeout of a receive whose process was killed', async () => {
      const pendingAfterKill = await node.run(async (ctx: ProcessContext) => {
        const test = ctx.self;
        const [victim, ref] = ctx.spawnMonitor(async (v) => {
          const pending = v.receive(undefined, 5000);
          v.send(test, 'waiting');
          await pending;
        });
        await ctx.receive((m) => m === 'waiting');
        const during = clock.pending;
        ctx.exit(victim, 'kill');
        await ctx.receive((m) => isDownMessage(m, ref));
        return [during, clock.pending];
      });
      expect(pendingAfterKill).toEqual([1, 0]);
    });
  });
});

/**
 * Call timeouts share one timer per duration: many calls arm one timer, an answered
 * call never times out later, and a pending one still does. On the system clock a
 * timeout counts from the end of the event-loop turn the call was made in: never early.
 */
import { call, CallTimeoutError, GenCall, ManualClock, Node, reply } from '@grove/core';

describe('call timeouts', () => {
  it('arm one timer for many calls, and an answered call never times out later', async () => {
    const clock = new ManualClock();
    const node = new Node({ clock });
    const echo = node.spawnLoop((msg) => {
      if (msg instanceof GenCall) reply(node, msg.from, msg.request);
    });
    const got = await node.run(async (ctx) => {
      const out: unknown[] = [];
      for (let i = 0; i < 100; i++) out.push(await call(ctx, echo, i, 1000));
      expect(clock.pending).toBe(1);
      clock.advance(1000);
      // Had any answered call been left live, it would reject now; the process runs on.
      out.push(await call(ctx, echo, 'after', 1000));
      return out;
    });
    expect(got).toHaveLength(101);
    expect(got[100]).toBe('after');
    node.halt();
  });

  it('time out a call left pending among answered ones', async () => {
    const clock = new ManualClock();
    const node = new Node({ clock });
    const held: unknown[] = [];
    const server = node.spawnLoop((msg) => {
      if (!(msg instanceof GenCall)) return;
      if (msg.request === 'hold') held.push(msg.from);
      else reply(node, msg.from, 'ok');
    });
    const result = await node.run(async (ctx) => {
      const p = call(ctx, server, 'hold', 1000).catch((e: unknown) => e);
      expect(await call(ctx, server, 'quick', 1000)).toBe('ok');
      clock.advance(1000);
      return p;
    });
    expect(result).toBeInstanceOf(CallTimeoutError);
    expect(held).toHaveLength(1);
    node.halt();
  });
  it('on the system clock, time out every pending call of a turn, none before its time counted from the end of that turn', async () => {
    const node = new Node();
    const server = node.spawnLoop((msg) => {
      if (msg instanceof GenCall && msg.request === 'quick') reply(node, msg.from, 'ok');
    });
    const turnEnded = new Promise<number>((resolve) => setImmediate(() => resolve(performance.now())));
    const started = await node.run(async (ctx) => {
      // 50 calls in one turn, kept busy for a while after them: answered ones never expire, held ones all do.
      const pending = Array.from({ length: 50 }, (_, i) => call(ctx, server, i % 5 === 0 ? 'quick' : 'hold', 40).then(
        (v) => ({ v, at: performance.now() }),
        (e: unknown) => ({ v: e, at: performance.now() }),
      ));
      const until = performance.now() + 30;
      while (performance.now() < until);
      return Promise.all(pending);
    });
    const ended = await turnEnded;
    expect(started.filter((r) => r.v === 'ok')).toHaveLength(10);
    const expired = started.filter((r) => r.v instanceof CallTimeoutError);
    expect(expired).toHaveLength(40);
    for (const r of expired) expect(r.at - ended).toBeGreaterThanOrEqual(40 - 1);
    node.halt();
  });
});

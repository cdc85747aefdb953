import { isDownMessage, TIMEOUT, type DownMessage } from '@grove/core';
import { node, useNode, waitForever } from './helpers';

describe('monitors', () => {
  useNode();

  it('sends DOWN with the monitor ref, the pid and the exit reason', async () => {
    const [down, ref, pid] = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever);
      const r = ctx.monitor(target);
      ctx.send(target, 'stop');
      return [await ctx.receive(isDownMessage), r, target] as const;
    });
    expect(down).toEqual({ type: 'DOWN', ref, pid, reason: 'normal' });
  });

  it('delivers the last message a process sent before the DOWN of its exit', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const [, ref] = ctx.spawnMonitor((c) => {
        c.send(test, 'last words');
        c.exit('done');
      });
      const first = await ctx.receive();
      const second = (await ctx.receive()) as DownMessage;
      return [first, second.ref.equals(ref), second.reason];
    });
    expect(got).toEqual(['last words', true, 'done']);
  });

  it('gives DOWN noproc at once for a pid that is already dead', async () => {
    const down = await node.run(async (ctx) => {
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref));
      const again = ctx.monitor(dead);
      const d = (await ctx.receive(isDownMessage)) as DownMessage;
      return { ...d, sameRef: d.ref.equals(again), samePid: dead.equals(d.pid) };
    });
    expect(down).toMatchObject({ type: 'DOWN', reason: 'noproc', sameRef: true, samePid: true });
  });

  it('monitors a registered name: DOWN names it as [name, node]', async () => {
    const down = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever, { name: 'mon_by_name' });
      const ref = ctx.monitor('mon_by_name');
      ctx.exit(target, 'shutdown');
      return (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
    });
    expect(down.pid).toEqual(['mon_by_name', node.name]);
    expect(down.reason).toBe('shutdown');
  });

  it('gives DOWN noproc for a name that nobody holds', async () => {
    const down = await node.run(async (ctx) => {
      const ref = ctx.monitor('nobody_has_this_name');
      return (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
    });
    expect(down).toMatchObject({ pid: ['nobody_has_this_name', node.name], reason: 'noproc' });
  });

  it('is removed by demonitor: no DOWN follows the exit', async () => {
    const got = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever);
      const ref = ctx.monitor(target);
      const witness = ctx.monitor(target);
      expect(ctx.demonitor(ref)).toBe(true);
      ctx.send(target, 'stop');
      await ctx.receive((m) => isDownMessage(m, witness));
      return ctx.receive(undefined, 0);
    });
    expect(got).toBe(TIMEOUT);
  });

  it('demonitor with flush removes a DOWN already queued, and only that one', async () => {
    const got = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever);
      const first = ctx.monitor(target);
      const second = ctx.monitor(target);
      ctx.send(ctx.self, 'before');
      ctx.send(target, 'stop');
      // The DOWN for `first` is queued ahead of the one for `second`.
      await ctx.receive((m) => isDownMessage(m, second));
      const queued = ctx.mailboxLength;
      const removed = ctx.demonitor(first, { flush: true });
      return { queued, removed, left: ctx.mailboxLength, next: await ctx.receive(undefined, 0) };
    });
    expect(got).toEqual({ queued: 2, removed: false, left: 1, next: 'before' });
  });

  it('demonitor without flush leaves a queued DOWN in the mailbox', async () => {
    const got = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever);
      const first = ctx.monitor(target);
      const second = ctx.monitor(target);
      ctx.send(target, 'stop');
      await ctx.receive((m) => isDownMessage(m, second));
      ctx.demonitor(first);
      return ctx.receive(undefined, 0);
    });
    expect(isDownMessage(got)).toBe(true);
  });

  it('fires one DOWN per monitor when a process is monitored twice', async () => {
    const reasons = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever);
      const refs = [ctx.monitor(target), ctx.monitor(target)];
      ctx.exit(target, 'bye');
      const out: unknown[] = [];
      for (const ref of refs) out.push(((await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage).reason);
      return out;
    });
    expect(reasons).toEqual(['bye', 'bye']);
  });

  it('spawnMonitor reports a crash of the new process', async () => {
    const reason = await node.run(async (ctx) => {
      const [, ref] = ctx.spawnMonitor(() => {
        throw new RangeError('bad input');
      });
      return ((await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(reason).toBeInstanceOf(RangeError);
  });

  it('is dropped when the watcher dies: the target keeps no record of it', async () => {
    const info = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever);
      const [, ref] = ctx.spawnMonitor(async (w) => {
        w.monitor(target);
      });
      await ctx.receive((m) => isDownMessage(m, ref));
      return node.processInfo(target);
    });
    expect(info?.monitoredBy).toBe(0);
  });
});

import { isDownMessage, type Pid, type ProcessContext, type ProcessInfo } from '@grove/core';
import { node, useNode } from './helpers';

async function idleWorker(ctx: ProcessContext): Promise<void> {
  await ctx.receive((m) => m === 'stop');
}

describe('introspection', () => {
  useNode();

  it('reports a process spawned but not yet run as runnable', () => {
    const pid = node.spawn(idleWorker);
    expect(node.processInfo(pid)?.status).toBe('runnable');
  });

  it('reports a process blocked in receive as waiting, with its unmatched messages counted', async () => {
    const info = await node.run(async (ctx) => {
      const test = ctx.self;
      const pid = ctx.spawn(async (w) => {
        const pending = w.receive((m) => m === 'stop');
        w.send(test, 'blocked');
        await pending;
      });
      await ctx.receive((m) => m === 'blocked');
      for (const m of ['a', 'b', 'c']) ctx.send(pid, m);
      return node.processInfo(pid);
    });
    expect(info).toMatchObject({ status: 'waiting', mailboxLength: 3 });
  });

  it('reports a handler process looking at itself as running', async () => {
    const status = await node.run(async (ctx) => {
      const test = ctx.self;
      const pid = node.spawnLoop((_m, self) => {
        self.send(test, { status: node.processInfo(self.self)?.status });
      });
      ctx.send(pid, 'look');
      return ((await ctx.receive()) as { status: string }).status;
    });
    expect(status).toBe('running');
  });

  it('lists links on both sides, monitors, monitoredBy, name and trapExit', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const watched = ctx.spawn(idleWorker);
      const pid = ctx.spawnLink(
        async (w) => {
          w.trapExit(true);
          w.monitor(watched);
          w.send(test, 'ready');
          await w.receive((m) => m === 'stop');
        },
        { name: 'inspected' },
      );
      ctx.monitor(pid);
      await ctx.receive((m) => m === 'ready');
      return { info: node.processInfo(pid)!, mine: node.processInfo(ctx.self)!, pid, watched, test };
    });
    const { info, mine, pid, watched, test } = got;
    expect(info.pid).toEqual(pid);
    expect(info.links).toEqual([test]);
    expect(mine.links).toEqual([pid]);
    expect(info.monitors).toEqual([watched]);
    expect(info.monitoredBy).toBe(1);
    expect(info.name).toBe('inspected');
    expect(info.trapExit).toBe(true);
    expect(mine.name).toBeUndefined();
    expect(info.memory).toBeGreaterThan(0);
  });

  it('shows the function name, or the label given at spawn, as the behaviour', () => {
    const named = node.spawn(idleWorker);
    const labelled = node.spawn(idleWorker, { label: 'my_worker' });
    const anonymous = node.spawnLoop(() => undefined, { label: 'loop' });
    const behaviours = [named, labelled, anonymous].map((p) => node.processInfo(p)?.behaviour);
    expect(behaviours).toEqual(['idleWorker', 'my_worker', 'loop']);
  });

  it('lists live processes in node.processes() and forgets dead ones', async () => {
    const got = await node.run(async (ctx) => {
      const live = ctx.spawn(idleWorker);
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref));
      const all = node.processes();
      return {
        hasSelf: all.some((p) => p.equals(ctx.self)),
        hasLive: all.some((p) => p.equals(live)),
        hasDead: all.some((p) => p.equals(dead)),
        deadInfo: node.processInfo(dead),
        count: node.processCount === all.length,
        alive: [node.isAlive(live), node.isAlive(dead)],
      };
    });
    expect(got).toEqual({ hasSelf: true, hasLive: true, hasDead: false, deadInfo: undefined, count: true, alive: [true, false] });
  });

  it('shows what a fresh idle process holds: nothing', () => {
    const pid: Pid = node.spawn(idleWorker);
    const info: ProcessInfo = node.processInfo(pid)!;
    expect(info).toMatchObject({ mailboxLength: 0, links: [], monitors: [], monitoredBy: 0, name: undefined, trapExit: false });
  });
});

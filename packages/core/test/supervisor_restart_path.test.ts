/**
 * The restart path of a GenServer child (issue 21): a supervisor restarts it with
 * no promise of its own, and the same restart still works wherever the wait for
 * the child's start is awaited like a promise (a supervisor keeping a `sys` log,
 * the later starts of a group restart), or fails.
 */
import { createHook } from 'node:async_hooks';
import {
  GenServer,
  isDownMessage,
  ManualClock,
  Node,
  restartCounts,
  Supervisor,
  supervisor,
  sys,
  whichChildren,
  type ChildSpec,
  type DownMessage,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { captureLogs, node, useNode } from './helpers';

/**
 * Tells `notify` of every start with `['up', id, pid]`; init fails as many times as
 * `failuresLeft` says for its id, and hangs (after telling `['hanging', pid]`) as
 * many times as `hangsLeft` says.
 */
const failuresLeft = new Map<string, number>();
const hangsLeft = new Map<string, number>();
class Worker extends GenServer {
  override init([id, notify]: [string, Pid]): void | Promise<void> {
    const hangs = hangsLeft.get(id) ?? 0;
    if (hangs > 0) {
      hangsLeft.set(id, hangs - 1);
      this.ctx.send(notify, ['hanging', this.self]);
      return new Promise<void>(() => undefined);
    }
    const left = failuresLeft.get(id) ?? 0;
    if (left > 0) {
      failuresLeft.set(id, left - 1);
      throw new Error(`${id} refuses to start`);
    }
    this.ctx.send(notify, ['up', id, this.self]);
  }
}

const isUp = (id: string) => (m: unknown): m is ['up', string, Pid] => Array.isArray(m) && m[0] === 'up' && m[1] === id;

@supervisor({ strategy: 'one_for_one', intensity: 1000, periodMs: 1000 })
class OneForOne extends Supervisor<Pid> {
  children(notify: Pid): ChildSpec[] {
    return [Worker.childSpec(['w', notify], { id: 'w', shutdown: 'brutal_kill' })];
  }
}

@supervisor({ strategy: 'one_for_one', intensity: 1000, periodMs: 1000 })
class WithStartTimeout extends Supervisor<Pid> {
  children(notify: Pid): ChildSpec[] {
    return [Worker.childSpec(['w', notify], { id: 'w', shutdown: 'brutal_kill', timeoutMs: 1000 })];
  }
}

@supervisor({ strategy: 'one_for_all', intensity: 1000, periodMs: 1000 })
class OneForAll extends Supervisor<Pid> {
  children(notify: Pid): ChildSpec[] {
    return ['a', 'b', 'c'].map((id) => Worker.childSpec([id, notify], { id, shutdown: 'brutal_kill' }));
  }
}

useNode();

afterEach(() => {
  failuresLeft.clear();
  hangsLeft.clear();
});

/** Promises made while `fn` runs (async_hooks sees every one). */
async function promisesDuring(fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') n++;
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return n;
}

describe('the restart path of a GenServer child', () => {
  it('makes no promise: a kill and restart costs the promises of a message round trip', async () => {
    const counts = await node.run(async (ctx: ProcessContext) => {
      ctx.trapExit(true);
      await OneForOne.startLink(ctx, ctx.self);
      let child = (await ctx.receive(isUp('w')))[2];
      // The same waiting, with an echo process in place of the supervisor and its child.
      const echo = ctx.spawnLink(async (c) => {
        for (;;) {
          const m = await c.receive((x): x is ['ping', Pid] => Array.isArray(x) && x[0] === 'ping');
          c.send(m[1], ['up', 'w', c.self]);
        }
      });
      const rounds = 50;
      const restarts = async (): Promise<void> => {
        for (let i = 0; i < rounds; i++) {
          ctx.exit(child, 'kill');
          child = (await ctx.receive(isUp('w')))[2];
        }
      };
      const roundTrips = async (): Promise<void> => {
        for (let i = 0; i < rounds; i++) {
          ctx.send(echo, ['ping', ctx.self]);
          await ctx.receive(isUp('w'));
        }
      };
      // Warm both loops up first (the first round of each makes what later ones reuse).
      await restarts();
      await roundTrips();
      return { restarts: await promisesDuring(restarts), roundTrips: await promisesDuring(roundTrips) };
    });
    expect(counts.restarts).toBeLessThanOrEqual(counts.roundTrips);
  });

  it('restarts a killed child while the supervisor keeps a sys log of its events', async () => {
    await node.run(async (ctx) => {
      ctx.trapExit(true);
      const sup = await OneForOne.startLink(ctx, ctx.self);
      const first = (await ctx.receive(isUp('w')))[2];
      expect(await sys.log(ctx, sup, 10)).toBe('ok');
      ctx.exit(first, 'kill');
      const second = (await ctx.receive(isUp('w')))[2];
      expect(second.equals(first)).toBe(false);
      const [info] = await whichChildren(ctx, sup);
      expect(info!.pid).toEqual(second);
      const events = (await sys.log(ctx, sup, false)) as unknown[];
      expect(events.length).toBeGreaterThan(0);
    });
  });

  it('restarts every child of a one_for_all supervisor, in order, after one is killed', async () => {
    await node.run(async (ctx) => {
      ctx.trapExit(true);
      const sup = await OneForAll.startLink(ctx, ctx.self);
      const before: Pid[] = [];
      for (const id of ['a', 'b', 'c']) before.push((await ctx.receive(isUp(id)))[2]);
      ctx.exit(before[1]!, 'kill');
      const order: string[] = [];
      const after: Pid[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await ctx.receive((x): x is ['up', string, Pid] => Array.isArray(x) && x[0] === 'up');
        order.push(m[1]);
        after.push(m[2]);
      }
      expect(order).toEqual(['a', 'b', 'c']);
      const running = (await whichChildren(ctx, sup)).map((c) => c.pid);
      expect(running).toEqual(after);
      for (const p of before) expect(node.isAlive(p)).toBe(false);
    });
  });

  it('retries a restart whose init fails, counting each try, until init works again', async () => {
    const logs = captureLogs(['supervisor', 'gen_server']);
    try {
      await node.run(async (ctx) => {
        ctx.trapExit(true);
        const sup = await OneForOne.startLink(ctx, ctx.self);
        const first = (await ctx.receive(isUp('w')))[2];
        failuresLeft.set('w', 3);
        ctx.exit(first, 'kill');
        const second = (await ctx.receive(isUp('w')))[2];
        expect((await whichChildren(ctx, sup))[0]!.pid).toEqual(second);
        expect((await restartCounts(ctx, sup)).total).toBe(4);
      });
      expect(logs.records.filter((r) => r.message === 'child start failed')).toHaveLength(3);
    } finally {
      logs.restore();
    }
  });

  it('kills a restarted child whose init outlives its start timeout, and tries again', async () => {
    const clock = new ManualClock();
    const timed = new Node({ clock });
    const logs = captureLogs(['supervisor', 'gen_server']);
    try {
      await timed.run(async (ctx) => {
        ctx.trapExit(true);
        const sup = await WithStartTimeout.startLink(ctx, ctx.self);
        const first = (await ctx.receive(isUp('w')))[2];
        hangsLeft.set('w', 1);
        ctx.exit(first, 'kill');
        const hung = (await ctx.receive((m): m is ['hanging', Pid] => Array.isArray(m) && m[0] === 'hanging'))[1];
        const ref = ctx.monitor(hung);
        clock.advance(1000);
        const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
        expect(down.reason).toBe('killed');
        const second = (await ctx.receive(isUp('w')))[2];
        expect((await whichChildren(ctx, sup))[0]!.pid).toEqual(second);
        expect((await restartCounts(ctx, sup)).total).toBe(2);
      });
      expect(logs.records.filter((r) => r.message === 'child start failed')).toHaveLength(1);
    } finally {
      logs.restore();
      timed.halt();
    }
  });
});

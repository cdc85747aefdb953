import { Node, type Pid } from '@grove/core';
import { node, useNode } from './helpers';

/** Resolves once a macrotask of the given kind has run. */
function macrotask(kind: 'setImmediate' | 'setTimeout'): Promise<void> {
  return new Promise((resolve) => {
    if (kind === 'setImmediate') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

describe('the scheduler', () => {
  useNode();

  it.each(['setImmediate', 'setTimeout'] as const)(
    'lets a %s callback run while a handler process floods itself with messages forever',
    async (kind) => {
      let stop = false;
      let handled = 0;
      const flooder = node.spawnLoop((msg, ctx) => {
        handled++;
        if (!stop) ctx.send(ctx.self, msg);
      });
      // Several messages in flight, so the mailbox never empties.
      for (let i = 0; i < 10; i++) node.send(flooder, i);
      await macrotask(kind);
      stop = true;
      // The flooder really flooded (it handled its own re-sends) before the callback got its turn.
      expect(handled).toBeGreaterThan(10);
      expect(node.isAlive(flooder)).toBe(true);
    },
  );

  it('lets I/O callbacks run while a body process receives from itself in a tight loop', async () => {
    let stop = false;
    let rounds = 0;
    const looper: Pid = node.spawn(async (ctx) => {
      ctx.send(ctx.self, 'again');
      while (!stop) {
        await ctx.receive();
        rounds++;
        ctx.send(ctx.self, 'again');
      }
    });
    await macrotask('setTimeout');
    stop = true;
    expect(rounds).toBeGreaterThan(0);
    expect(node.isAlive(looper)).toBe(true);
  });

  it('shares the run time between two flooding processes', async () => {
    let stop = false;
    const counts = [0, 0];
    const make = (i: number): Pid =>
      node.spawnLoop((msg, ctx) => {
        counts[i]!++;
        if (!stop) ctx.send(ctx.self, msg);
      });
    const a = make(0);
    const b = make(1);
    node.send(a, 'x');
    node.send(b, 'x');
    await macrotask('setImmediate');
    stop = true;
    // Neither starves the other: both ran within the same event-loop turn.
    expect(Math.min(...counts)).toBeGreaterThan(1);
  });

  it('takes its budgets from the node options', () => {
    const tuned = new Node({ scheduler: { processBudget: 7, turnBudget: 70 } });
    expect([tuned.scheduler.processBudget, tuned.scheduler.turnBudget]).toEqual([7, 70]);
    tuned.halt();
  });
  it('runs an afterRun job once the running process returns, before the next process runs; outside a run, as a microtask', async () => {
    const order: string[] = [];
    const a = node.spawnLoop(() => {
      order.push('a runs');
      node.scheduler.afterRun(() => order.push('after a'));
      node.scheduler.afterRun(() => {
        throw new Error('a job that throws is logged; the others run');
      });
      order.push('a returns');
    });
    const b = node.spawnLoop(() => {
      order.push('b runs');
    });
    node.send(a, 'go');
    node.send(b, 'go');
    await macrotask('setImmediate');
    expect(order).toEqual(['a runs', 'a returns', 'after a', 'b runs']);
    order.length = 0;
    node.scheduler.afterRun(() => order.push('job'));
    order.push('sync');
    await Promise.resolve();
    expect(order).toEqual(['sync', 'job']);
  });
});

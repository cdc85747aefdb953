/**
 * What core gives observers: messages handled per process, restart counts per
 * supervisor and child, the run queue's length, and sources other packages add.
 */
import {
  addIntrospection,
  Cast,
  GenServer,
  introspectionSources,
  restartCounts,
  startSupervisor,
  sys,
  timeCalls,
  Call,
  BadArgError,
  whichChildren,
  type Pid,
} from '@grove/core';

class Counter extends GenServer<{ cast: 'bump' }> {
  n = 0;
  @Cast('bump')
  bump(): void {
    this.n++;
  }
}

import { downReason, node, useNode } from './helpers';

useNode();

describe('introspection in core', () => {
  it('counts the messages a handler process took from its mailbox', async () => {
    const ref = await Counter.start(node);
    for (let i = 0; i < 5; i++) ref.cast.bump();
    expect(await sys.getState(node, ref.pid)).toMatchObject({ n: 5 });
    // Five casts and the getState call.
    expect(node.processInfo(ref.pid)!.messagesHandled).toBe(6);
  });

  it('counts a supervisor’s restarts, in all and per child', async () => {
    const sup = await startSupervisor(node, { flags: { intensity: 10 }, children: [Counter.childSpec(undefined, { id: 'a' }), Counter.childSpec(undefined, { id: 'b' })] });
    expect(await restartCounts(node, sup)).toEqual({ total: 0, children: [expect.objectContaining({ id: 'a', restarts: 0 }), expect.objectContaining({ id: 'b', restarts: 0 })] });
    for (let i = 0; i < 2; i++) {
      const [a] = await whichChildren(node, sup);
      await node.run(async (ctx) => {
        const down = downReason(ctx, a!.pid as Pid);
        node.exit(a!.pid as Pid, 'kill');
        await down;
      });
      await whichChildren(node, sup);
    }
    const counts = await restartCounts(node, sup);
    expect(counts.total).toBe(2);
    expect(counts.children.map((c) => [c.id, c.restarts])).toEqual([
      ['a', 2],
      ['b', 0],
    ]);
    expect(String(counts.children[0]!.pid)).toBe(String((await whichChildren(node, sup))[0]!.pid));
  });

  it('tells the run queue’s length', () => {
    expect(node.scheduler.runQueueLength).toBe(0);
    const pid = node.spawnLoop(() => undefined);
    node.send(pid, 'x');
    expect(node.scheduler.runQueueLength).toBe(1);
  });

  it('lists the sources other packages add, until they remove them', () => {
    const off = addIntrospection(node, 'mine', () => ({ groups: 1 }));
    expect([...introspectionSources(node).keys()]).toEqual(['mine']);
    expect(introspectionSources(node).get('mine')!()).toEqual({ groups: 1 });
    off();
    expect(introspectionSources(node).size).toBe(0);
  });

  it('times the calls of the classes asked for, sync and async, until stopped', async () => {
    const seen: [string, number][] = [];
    const stop = timeCalls(node, ['Timed'], (cls, ms) => seen.push([cls, ms]));
    const timed = await Timed.start(node);
    const other = await Untimed.start(node);
    expect(await timed.call.now()).toBe('now');
    expect(await timed.call.later()).toBe('later');
    expect(await other.call.now()).toBe('now');
    expect(seen.map(([cls]) => cls)).toEqual(['Timed', 'Timed']);
    expect(seen.every(([, ms]) => ms >= 0)).toBe(true);
    stop();
    const after = await Timed.start(node);
    await after.call.now();
    expect(seen).toHaveLength(2);
    expect(() => timeCalls(node, 'some' as 'all', () => undefined)).toThrow(BadArgError);
  });
});

class Timed extends GenServer<{ call: { now(): string; later(): Promise<string> } }> {
  @Call('now')
  now(): string {
    return 'now';
  }
  @Call('later')
  async later(): Promise<string> {
    await Promise.resolve();
    return 'later';
  }
}

class Untimed extends Timed {}

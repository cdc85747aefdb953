/**
 * Supervisor strategies with real processes: who is restarted, and in which order
 * children stop and start (ported from OTP's supervisor_SUITE).
 */
import {
  BadArgError,
  startSimpleOneForOne,
  startLinkSupervisor,
  startSupervisor,
  stopSupervisor,
  whichChildren,
  type ChildSpec,
  type Pid,
  type Strategy,
} from '@grove/core';
import { node, waitFor } from './helpers';
import { pidOf, trace, useTracedNode, worker } from './supervisor_helpers';

useTracedNode();

function abc(extra: Partial<ChildSpec> = {}): ChildSpec[] {
  return ['a', 'b', 'c'].map((id) => ({ id, start: worker(trace, id), ...extra }));
}

async function startAbc(strategy: Strategy): Promise<Pid> {
  return startSupervisor(node, { flags: { strategy, intensity: 5 }, children: abc() });
}

async function crash(sup: Pid, id: string): Promise<number> {
  const pid = pidOf(await whichChildren(node, sup), id);
  const mark = trace.events.length;
  node.send(pid, 'crash');
  return mark;
}

describe('a static supervisor', () => {
  it('starts its children in order and stops them in reverse order', async () => {
    const sup = await startAbc('one_for_one');
    expect(trace.events).toEqual(['start a', 'start b', 'start c']);
    await stopSupervisor(node, sup, 'shutdown');
    expect(node.isAlive(sup)).toBe(false);
    expect(trace.since(3)).toEqual(['exit c shutdown', 'exit b shutdown', 'exit a shutdown']);
  });

  it("stops its children in reverse order and exits with its parent's reason when the parent exits", async () => {
    await node.run(async (ctx) => {
      const sup = await startLinkSupervisor(ctx, { children: abc() });
      trace.ids.set(sup.key, 'sup');
      ctx.exit('goodbye');
    }).catch(() => undefined);
    await waitFor(() => trace.count('exit sup goodbye') === 1, 'the supervisor to exit');
    expect(trace.since(3)).toEqual(['exit c shutdown', 'exit b shutdown', 'exit a shutdown', 'exit sup goodbye']);
  });

  it('links when its name says so: startLinkSupervisor to its parent, startSupervisor to nobody', async () => {
    let unlinked: Pid | undefined;
    let linked: Pid | undefined;
    await node.run(async (ctx) => {
      unlinked = await startSupervisor(ctx, { children: [] });
      linked = await startLinkSupervisor(ctx, { children: [] });
      ctx.exit('goodbye');
    }).catch(() => undefined);
    await waitFor(() => !node.isAlive(linked!), 'the linked supervisor to exit with its parent');
    expect(node.isAlive(unlinked!)).toBe(true);
    await stopSupervisor(node, unlinked!);
  });

  it('refuses a link option, naming the functions that say it', async () => {
    const sup = startSupervisor(node, { children: [] }, { link: true } as unknown as { name: string });
    await expect(sup).rejects.toThrow(/no link option: startSupervisor .* unlinked, startLinkSupervisor .* linked/);
    await expect(startSimpleOneForOne(node, { child: { start: () => Promise.resolve('ignore') } }, { link: false } as never)).rejects.toThrow(BadArgError);
    await expect(startSupervisor(node, { children: [] }, { nmae: 'x' } as never)).rejects.toThrow(/unknown option "nmae"/);
  });

  it('ignores an exit signal from a process that is neither its parent nor a child', async () => {
    const sup = await startAbc('one_for_one');
    await node.run(async (ctx) => ctx.exit(sup, 'shutdown'));
    expect((await whichChildren(node, sup)).length).toBe(3);
  });

  it('restarts only the crashed child under one_for_one', async () => {
    const sup = await startAbc('one_for_one');
    const mark = await crash(sup, 'b');
    await waitFor(() => trace.count('start b') === 2, 'b to restart');
    expect(trace.since(mark)).toEqual(['exit b error', 'start b']);
    expect((await whichChildren(node, sup)).map((c) => typeof c.pid)).toEqual(['object', 'object', 'object']);
  });

  it('under one_for_all stops the others last-first, then restarts all in start order', async () => {
    const sup = await startAbc('one_for_all');
    const mark = await crash(sup, 'b');
    await waitFor(() => trace.count('start c') === 2, 'all to restart');
    expect(trace.since(mark)).toEqual(['exit b error', 'exit c shutdown', 'exit a shutdown', 'start a', 'start b', 'start c']);
  });

  it('under rest_for_one restarts the crashed child and those started after it', async () => {
    const sup = await startAbc('rest_for_one');
    const mark = await crash(sup, 'b');
    await waitFor(() => trace.count('start c') === 2, 'b and c to restart');
    expect(trace.since(mark)).toEqual(['exit b error', 'exit c shutdown', 'start b', 'start c']);
    expect(trace.count('start a')).toBe(1);
  });

  it('under rest_for_one restarts only the last child when the last one crashes', async () => {
    const sup = await startAbc('rest_for_one');
    const mark = await crash(sup, 'c');
    await waitFor(() => trace.count('start c') === 2, 'c to restart');
    expect(trace.since(mark)).toEqual(['exit c error', 'start c']);
  });

  it('restarts a transient child after an abnormal exit but not after a normal one', async () => {
    const sup = await startSupervisor(node, { flags: { intensity: 5 }, children: [{ id: 't', restart: 'transient', start: worker(trace, 't') }] });
    node.send(pidOf(await whichChildren(node, sup), 't'), { exit: 'boom' });
    await waitFor(() => trace.count('start t') === 2, 't to restart');
    node.send(pidOf(await whichChildren(node, sup), 't'), 'stop');
    await waitFor(() => trace.count('exit t normal') === 1, 't to stop');
    expect(await whichChildren(node, sup)).toEqual([{ id: 't', pid: undefined, type: 'worker', restart: 'transient' }]);
    expect(trace.count('start t')).toBe(2);
  });

  it.each([['shutdown'], [{ shutdown: 'done' }]])('does not restart a transient child that exits with %p', async (reason) => {
    const sup = await startSupervisor(node, { children: [{ id: 't', restart: 'transient', start: worker(trace, 't') }] });
    node.send(pidOf(await whichChildren(node, sup), 't'), { exit: reason });
    await waitFor(() => trace.events.some((e) => e.startsWith('exit t')), 't to exit');
    expect((await whichChildren(node, sup))[0]!.pid).toBeUndefined();
  });

  it('never restarts a temporary child and forgets it', async () => {
    const sup = await startSupervisor(node, {
      children: [
        { id: 'tmp', restart: 'temporary', start: worker(trace, 'tmp') },
        { id: 'p', start: worker(trace, 'p') },
      ],
    });
    node.send(pidOf(await whichChildren(node, sup), 'tmp'), 'crash');
    await waitFor(() => trace.count('exit tmp error') === 1, 'tmp to crash');
    expect((await whichChildren(node, sup)).map((c) => c.id)).toEqual(['p']);
    expect(trace.count('start tmp')).toBe(1);
  });

  it('removes a temporary sibling terminated by a one_for_all restart instead of restarting it', async () => {
    const sup = await startSupervisor(node, {
      flags: { strategy: 'one_for_all', intensity: 5 },
      children: [
        { id: 'a', start: worker(trace, 'a') },
        { id: 'tmp', restart: 'temporary', start: worker(trace, 'tmp') },
      ],
    });
    node.send(pidOf(await whichChildren(node, sup), 'a'), 'crash');
    await waitFor(() => trace.count('start a') === 2, 'a to restart');
    expect(trace.events).toEqual(['start a', 'start tmp', 'exit a error', 'exit tmp shutdown', 'start a']);
    expect((await whichChildren(node, sup)).map((c) => c.id)).toEqual(['a']);
  });

  it('restarts a child killed with kill, and links to a child whose start did not link', async () => {
    const unlinked: ChildSpec = {
      id: 'u',
      start: async (parent) => parent.spawn(async (ctx) => {
        trace.ids.set(ctx.self.key, 'u');
        trace.events.push('start u');
        await ctx.receive();
      }),
    };
    const sup = await startSupervisor(node, { flags: { intensity: 5 }, children: [unlinked] });
    node.exit(pidOf(await whichChildren(node, sup), 'u'), 'kill');
    await waitFor(() => trace.count('start u') === 2, 'u to restart');
    expect(trace.events).toEqual(['start u', 'exit u killed', 'start u']);
  });
});

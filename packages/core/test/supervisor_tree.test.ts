/**
 * Supervision trees: escalation past the restart intensity, stopping nested trees
 * in reverse order, shutdown timeouts and brutal kills, significant children.
 */
import { isDownMessage, startLinkSupervisor, startSupervisor, stopSupervisor, Supervisor, supervisor, whichChildren, type ChildSpec, type Pid } from '@grove/core';
import { node, waitFor } from './helpers';
import { pidOf, trace, useTracedNode, worker } from './supervisor_helpers';

useTracedNode();

/** A spec that starts a nested supervisor and names it in the trace. */
function sup(id: string, children: () => ChildSpec[], flags = {}): ChildSpec {
  return {
    id,
    type: 'supervisor',
    start: async (parent) => {
      const pid = await startLinkSupervisor(parent, { flags, children: children() });
      trace.ids.set(pid.key, id);
      trace.events.push(`start ${id}`);
      return pid;
    },
  };
}

async function crashOften(inner: () => Promise<Pid>, id: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const before = trace.count(`start ${id}`);
    node.send(pidOf(await whichChildren(node, await inner()), id), 'crash');
    await waitFor(() => trace.count(`start ${id}`) > before || trace.events.some((e) => e.startsWith('exit top')), `${id} to restart`);
  }
}

describe('a supervision tree', () => {
  it('escalates past the restart intensity two levels up: inner gives up, outer restarts it, then gives up too', async () => {
    const top = await startSupervisor(node, { flags: { intensity: 1, periodMs: 60_000 }, children: [sup('inner', () => [{ id: 'w', start: worker(trace, 'w') }], { intensity: 1, periodMs: 60_000 })] });
    trace.ids.set(top.key, 'top');
    const inner = async (): Promise<Pid> => pidOf(await whichChildren(node, top), 'inner');
    // 1st crash: inner restarts w. 2nd crash: inner gives up (shutdown); top restarts inner.
    await crashOften(inner, 'w', 2);
    await waitFor(() => trace.count('start inner') === 2, 'top to restart inner');
    expect(trace.events).toEqual(['start w', 'start inner', 'exit w error', 'start w', 'exit w error', 'exit inner shutdown', 'start w', 'start inner']);
    // Two more crashes: the new inner gives up again, and top (intensity 1) gives up as well.
    await crashOften(inner, 'w', 2);
    await waitFor(() => trace.count('exit top shutdown') === 1, 'top to give up');
    expect(trace.since(8)).toEqual(['exit w error', 'start w', 'exit w error', 'exit inner shutdown', 'exit top shutdown']);
    expect(node.isAlive(top)).toBe(false);
  });

  it('stops a nested tree depth first, each level in reverse start order', async () => {
    const top = await startSupervisor(node, {
      children: [
        { id: 'a', start: worker(trace, 'a') },
        sup('s1', () => [{ id: 'b', start: worker(trace, 'b') }, { id: 'c', start: worker(trace, 'c') }]),
        sup('s2', () => [{ id: 'd', start: worker(trace, 'd') }]),
      ],
    });
    expect(trace.events).toEqual(['start a', 'start b', 'start c', 'start s1', 'start d', 'start s2']);
    const mark = trace.events.length;
    await stopSupervisor(node, top, 'shutdown');
    expect(trace.since(mark)).toEqual(['exit d shutdown', 'exit s2 shutdown', 'exit c shutdown', 'exit b shutdown', 'exit s1 shutdown', 'exit a shutdown']);
  });

  it('kills a child that ignores the shutdown signal once its shutdown time has passed', async () => {
    const stubborn: ChildSpec = { id: 's', shutdown: 50, start: worker(trace, 's', { trapExits: true, ignoreShutdown: true }) };
    const top = await startSupervisor(node, { children: [stubborn] });
    const pid = pidOf(await whichChildren(node, top), 's');
    const down = node.run(async (ctx) => {
      const ref = ctx.monitor(pid);
      return ctx.receive((m) => isDownMessage(m, ref));
    });
    await stopSupervisor(node, top, 'shutdown');
    expect(await down).toMatchObject({ reason: 'killed' });
  });

  it('lets a trapping child that honours shutdown end with shutdown', async () => {
    const polite: ChildSpec = { id: 'p', shutdown: 'infinity', start: worker(trace, 'p', { trapExits: true }) };
    const top = await startSupervisor(node, { children: [polite] });
    await stopSupervisor(node, top);
    expect(trace.events).toEqual(['start p', 'exit p shutdown']);
  });

  it('brutally kills a brutal_kill child even when it traps exits', async () => {
    const top = await startSupervisor(node, { children: [{ id: 'k', shutdown: 'brutal_kill', start: worker(trace, 'k', { trapExits: true }) }] });
    await stopSupervisor(node, top);
    expect(trace.events).toEqual(['start k', 'exit k killed']);
  });
});

describe('significant children', () => {
  it('with any_significant, the supervisor stops when a significant transient child exits normally', async () => {
    const top = await startSupervisor(node, {
      flags: { autoShutdown: 'any_significant' },
      children: [
        { id: 'a', start: worker(trace, 'a') },
        { id: 'main', restart: 'transient', significant: true, start: worker(trace, 'main') },
      ],
    });
    trace.ids.set(top.key, 'top');
    node.send(pidOf(await whichChildren(node, top), 'main'), 'stop');
    await waitFor(() => trace.count('exit top shutdown') === 1, 'auto shutdown');
    expect(trace.events).toEqual(['start a', 'start main', 'exit main normal', 'exit a shutdown', 'exit top shutdown']);
  });

  it('with all_significant, the supervisor stops only when the last significant child is gone', async () => {
    const top = await startSupervisor(node, {
      flags: { autoShutdown: 'all_significant' },
      children: [
        { id: 'x', restart: 'temporary', significant: true, start: worker(trace, 'x') },
        { id: 'y', restart: 'temporary', significant: true, start: worker(trace, 'y') },
      ],
    });
    trace.ids.set(top.key, 'top');
    node.send(pidOf(await whichChildren(node, top), 'x'), 'crash');
    await waitFor(() => trace.count('exit x error') === 1, 'x to end');
    expect((await whichChildren(node, top)).map((c) => c.id)).toEqual(['y']);
    node.send(pidOf(await whichChildren(node, top), 'y'), 'stop');
    await waitFor(() => trace.count('exit top shutdown') === 1, 'auto shutdown');
  });

  it('restarts a significant transient child that crashes instead of shutting down', async () => {
    const top = await startSupervisor(node, {
      flags: { autoShutdown: 'any_significant', intensity: 3 },
      children: [{ id: 'm', restart: 'transient', significant: true, start: worker(trace, 'm') }],
    });
    node.send(pidOf(await whichChildren(node, top), 'm'), 'crash');
    await waitFor(() => trace.count('start m') === 2, 'm to restart');
    expect(node.isAlive(top)).toBe(true);
  });
});

describe('supervisors declared as classes', () => {
  @supervisor({ strategy: 'one_for_all', intensity: 2, periodMs: 1000 })
  class Inner extends Supervisor<{ tag: string }> {
    children(args: { tag: string }): ChildSpec[] {
      return [{ id: `${args.tag}1`, start: worker(trace, `${args.tag}1`) }, { id: `${args.tag}2`, start: worker(trace, `${args.tag}2`) }];
    }
  }

  @supervisor({ strategy: 'rest_for_one' })
  class Root extends Supervisor {
    children(): ChildSpec[] {
      return [{ id: 'first', start: worker(trace, 'first') }, Inner.childSpec({ tag: 'x' }, { id: 'inner' })];
    }
  }

  it('starts a tree from classes, with decorator flags and a nested childSpec', async () => {
    const root = await Root.start(node, undefined, { name: 'root' });
    expect(node.whereis('root')).toEqual(root);
    expect(trace.events).toEqual(['start first', 'start x1', 'start x2']);
    expect(await whichChildren(node, 'root')).toEqual([
      { id: 'first', pid: expect.anything(), type: 'worker', restart: 'permanent' },
      { id: 'inner', pid: expect.anything(), type: 'supervisor', restart: 'permanent' },
    ]);
    const inner = pidOf(await whichChildren(node, 'root'), 'inner');
    const mark = trace.events.length;
    node.send(pidOf(await whichChildren(node, inner), 'x2'), 'crash');
    await waitFor(() => trace.count('start x2') === 2, 'one_for_all in Inner');
    expect(trace.since(mark)).toEqual(['exit x2 error', 'exit x1 shutdown', 'start x1', 'start x2']);
    await stopSupervisor(node, 'root');
    expect(node.whereis('root')).toBeUndefined();
  });

  it('uses the overridden flags() when the flags depend on the args', async () => {
    class Tuned extends Supervisor<number> {
      override flags(intensity: number): { intensity: number } {
        return { intensity };
      }
      children(): ChildSpec[] {
        return [{ id: 'w', start: worker(trace, 'w') }];
      }
    }
    const s = await Tuned.start(node, 0);
    trace.ids.set(s.key, 'tuned');
    node.send(pidOf(await whichChildren(node, s), 'w'), 'crash');
    await waitFor(() => trace.count('exit tuned shutdown') === 1, 'intensity 0 to give up at once');
  });
});

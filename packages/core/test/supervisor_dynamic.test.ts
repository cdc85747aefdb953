/**
 * Dynamic supervisors: children from one template, started on demand with args.
 */
import {
  countChildren,
  deleteChild,
  SimpleOneForOneSupervisor,
  restartChild,
  start,
  startChild,
  startSimpleOneForOne,
  StartError,
  startLinkSimpleOneForOne,
  startSupervisor,
  stopSupervisor,
  supervisor,
  SupervisorChildError,
  terminateChild,
  whichChildren,
  type ChildTemplate,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { node, waitFor, waitForever } from './helpers';
import { trace, useTracedNode } from './supervisor_helpers';

useTracedNode();

/** A worker named by its args; crashes on 'crash', stops on 'stop'. */
function session(parent: ProcessContext, args: { user: string }): Promise<Pid | 'ignore'> {
  return start(
    parent,
    (ctx) => {
      trace.ids.set(ctx.self.key, args.user);
      trace.events.push(`start ${args.user}`);
      return { ok: true };
    },
    (msg, ctx) => {
      if (msg === 'crash') throw new Error('crash');
      if (msg === 'stop') ctx.exit('normal');
    },
    { link: true },
  );
}

@supervisor({ intensity: 5, periodMs: 1000, maxChildren: 2 })
class Sessions extends SimpleOneForOneSupervisor<void, { user: string }> {
  child(): ChildTemplate<{ user: string }> {
    return { start: session, restart: 'transient', shutdown: 1000 };
  }
}

describe('a dynamic supervisor', () => {
  it('starts children with their args, up to maxChildren', async () => {
    const sup = await Sessions.start(node);
    const ada = await Sessions.startChild(node, sup, { user: 'ada' });
    await Sessions.startChild(node, sup, { user: 'bob' });
    expect(trace.events).toEqual(['start ada', 'start bob']);
    const err = await Sessions.startChild(node, sup, { user: 'cy' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SupervisorChildError);
    expect(err).toMatchObject({ code: 'max_children' });
    expect(await countChildren(node, sup)).toEqual({ specs: 1, active: 2, supervisors: 0, workers: 2 });
    expect((await whichChildren(node, sup))[0]).toEqual({ id: undefined, pid: ada, type: 'worker', restart: 'transient' });
  });

  it('restarts a crashed child with the same args, and drops one that ends normally (transient)', async () => {
    const sup = await Sessions.start(node);
    const ada = (await Sessions.startChild(node, sup, { user: 'ada' })) as Pid;
    const bob = (await Sessions.startChild(node, sup, { user: 'bob' })) as Pid;
    node.send(ada, 'crash');
    await waitFor(() => trace.count('start ada') === 2, 'ada to restart');
    node.send(bob, 'stop');
    await waitFor(() => trace.count('exit bob normal') === 1, 'bob to stop');
    const kids = await whichChildren(node, sup);
    expect(kids.length).toBe(1);
    expect(kids[0]!.pid).not.toEqual(ada);
  });

  it('terminates a child by pid and forgets it; restartChild and deleteChild are not supported', async () => {
    const sup = await Sessions.start(node);
    const ada = (await Sessions.startChild(node, sup, { user: 'ada' })) as Pid;
    await terminateChild(node, sup, ada);
    expect(trace.events).toEqual(['start ada', 'exit ada shutdown']);
    expect(await whichChildren(node, sup)).toEqual([]);
    await expect(restartChild(node, sup, 'x')).rejects.toMatchObject({ code: 'not_supported' });
    await expect(deleteChild(node, sup, 'x')).rejects.toMatchObject({ code: 'not_supported' });
  });

  it('answers ok to terminateChild of a child that has just died by itself, as OTP', async () => {
    const sup = await Sessions.start(node);
    const ada = (await Sessions.startChild(node, sup, { user: 'ada' })) as Pid;
    const bob = (await Sessions.startChild(node, sup, { user: 'bob' })) as Pid;
    node.send(ada, 'crash'); // transient: restarted under another pid
    node.send(bob, 'stop'); // ends normally: dropped
    await waitFor(() => trace.count('start ada') === 2 && trace.count('exit bob normal') === 1, 'ada to restart and bob to stop');
    await whichChildren(node, sup); // the supervisor has taken both EXITs
    await expect(terminateChild(node, sup, ada)).resolves.toBeUndefined();
    await expect(terminateChild(node, sup, bob)).resolves.toBeUndefined();
    expect(await countChildren(node, sup)).toMatchObject({ active: 1 }); // ada's new process runs on
  });

  it('answers not_found to terminateChild of a live process that is not its child', async () => {
    const sup = await Sessions.start(node);
    const stranger = node.spawn(waitForever);
    await expect(terminateChild(node, sup, stranger)).rejects.toMatchObject({ code: 'not_found' });
    expect(node.isAlive(stranger)).toBe(true);
  });

  it('stops all its children when it stops', async () => {
    const sup = await startSimpleOneForOne(node, { child: { start: session } });
    for (const user of ['a', 'b', 'c']) await startChild(node, sup, { user });
    await stopSupervisor(node, sup);
    expect(trace.events.slice(3).sort()).toEqual(['exit a shutdown', 'exit b shutdown', 'exit c shutdown']);
  });

  it('gives up past its restart intensity', async () => {
    const sup = await startSimpleOneForOne(node, { flags: { intensity: 1, periodMs: 60_000 }, child: { start: session } });
    trace.ids.set(sup.key, 'sup');
    const a = (await startChild(node, sup, { user: 'a' })) as Pid;
    await startChild(node, sup, { user: 'b' });
    node.send(a, 'crash');
    await waitFor(() => trace.count('start a') === 2, 'a to restart');
    node.send((await whichChildren(node, sup)).find((c) => c.pid !== a && trace.ids.get((c.pid as Pid).key) === 'a')!.pid as Pid, 'crash');
    await waitFor(() => trace.count('exit sup shutdown') === 1, 'the supervisor to give up');
    expect(trace.count('exit b shutdown')).toBe(1);
  });

  it('nests under a static supervisor through its childSpec and is reached by name', async () => {
    const root = await startSupervisor(node, { children: [Sessions.childSpec(undefined, { name: 'sessions' })] });
    expect(await whichChildren(node, root)).toEqual([{ id: 'Sessions', pid: node.whereis('sessions'), type: 'supervisor', restart: 'permanent' }]);
    await Sessions.startChild(node, 'sessions', { user: 'ada' });
    await stopSupervisor(node, root);
    expect(trace.events).toEqual(['start ada', 'exit ada shutdown']);
  });

  it('never restarts a temporary child', async () => {
    const sup = await startSimpleOneForOne(node, { child: { start: session, restart: 'temporary' } });
    const ada = (await startChild(node, sup, { user: 'ada' })) as Pid;
    node.send(ada, 'crash');
    await waitFor(() => trace.count('exit ada error') === 1, 'ada to crash');
    expect(await whichChildren(node, sup)).toEqual([]);
    expect(trace.count('start ada')).toBe(1);
  });

  it('stops its children and exits with the reason when its parent exits', async () => {
    await node
      .run(async (ctx) => {
        const sup = await startLinkSimpleOneForOne(ctx, { child: { start: session } });
        trace.ids.set(sup.key, 'sup');
        await startChild(ctx, sup, { user: 'a' });
        ctx.exit('goodbye');
      })
      .catch(() => undefined);
    await waitFor(() => trace.count('exit sup goodbye') === 1, 'the supervisor to exit');
    expect(trace.events).toEqual(['start a', 'exit a shutdown', 'exit sup goodbye']);
  });

  it('answers not_supported to a child spec: its children come from the template', async () => {
    const sup = await startSimpleOneForOne(node, { child: { start: session } });
    await expect(startChild(node, sup, { id: 'x', start: () => Promise.resolve('ignore') })).rejects.toMatchObject({ code: 'not_supported' });
  });

  it('rejects a missing description, a bad template, static-only flags and a bad maxChildren', async () => {
    await expect(startSimpleOneForOne(node, null as unknown as { child: ChildTemplate })).rejects.toThrow(/startSimpleOneForOne: expected \{ flags\?, child \} or a function returning it, got null/);
    await expect(startSimpleOneForOne(node, { child: { start: session, id: 'x' } as unknown as ChildTemplate })).rejects.toThrow(/child template: unknown key "id"/);
    await expect(startSimpleOneForOne(node, { child: { start: 42 } as unknown as ChildTemplate })).rejects.toThrow(/child template: start must be a function/);
    await expect(startSimpleOneForOne(node, { flags: { strategy: 'one_for_all' }, child: { start: session } })).rejects.toThrow(/unknown key "strategy" for a dynamic supervisor/);
    await expect(startSimpleOneForOne(node, { flags: { maxChildren: -1 }, child: { start: session } })).rejects.toThrow(/maxChildren must be/);
  });
});

describe('a dynamic child that fails to start', () => {
  /** What the next start does: run, refuse (StartError), answer ignore, or resolve with junk. */
  let next: 'run' | 'refuse' | 'ignore' | 'junk';
  let refusals: number;
  const flaky = (parent: ProcessContext, args: { user: string }): Promise<Pid | 'ignore'> => {
    if (refusals > 0) {
      refusals--;
      return Promise.reject(new Error(`${args.user} refused`));
    }
    if (next === 'refuse') return Promise.reject(new Error(`${args.user} refused`));
    if (next === 'ignore') return Promise.resolve('ignore');
    if (next === 'junk') return Promise.resolve(42 as unknown as Pid);
    return session(parent, args);
  };
  beforeEach(() => {
    next = 'run';
    refusals = 0;
  });

  it("rejects startChild with a StartError, and keeps nothing of a child that failed or answered 'ignore'", async () => {
    const sup = await startSimpleOneForOne(node, { child: { start: flaky } });
    next = 'refuse';
    const refused = await startChild(node, sup, { user: 'a' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StartError);
    expect(String((refused as StartError).reason)).toMatch(/a refused/);
    next = 'junk';
    const junk = await startChild(node, sup, { user: 'b' }).catch((e: unknown) => e);
    expect(junk).toBeInstanceOf(StartError);
    expect(String((junk as StartError).reason)).toMatch(/resolved with 42; expected a Pid or 'ignore'/);
    next = 'ignore';
    expect(await startChild(node, sup, { user: 'c' })).toBe('ignore');
    expect(await whichChildren(node, sup)).toEqual([]);
    expect(await countChildren(node, sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 0 });
  });

  it('retries a failed restart, each try counted, until the child starts', async () => {
    const sup = await startSimpleOneForOne(node, { flags: { intensity: 5 }, child: { start: flaky } });
    const ada = (await startChild(node, sup, { user: 'ada' })) as Pid;
    refusals = 2;
    node.send(ada, 'crash');
    await waitFor(() => trace.count('start ada') === 2, 'ada to start again after two refusals');
    expect(refusals).toBe(0);
    const kids = await whichChildren(node, sup);
    expect(kids).toHaveLength(1);
    expect(typeof kids[0]!.pid).toBe('object');
  });

  it('makes the supervisor give up when a child never starts again', async () => {
    const sup = await startSimpleOneForOne(node, { flags: { intensity: 3, periodMs: 60_000 }, child: { start: flaky } });
    trace.ids.set(sup.key, 'sup');
    const ada = (await startChild(node, sup, { user: 'ada' })) as Pid;
    next = 'refuse';
    node.send(ada, 'crash');
    await waitFor(() => trace.count('exit sup shutdown') === 1, 'the supervisor to give up');
  });

  it('stops retrying the restart of a child terminated by its old pid, as OTP', async () => {
    const sup = await startSimpleOneForOne(node, { flags: { intensity: 1_000_000, periodMs: 60_000 }, child: { start: flaky } });
    const ada = (await startChild(node, sup, { user: 'ada' })) as Pid;
    next = 'refuse';
    node.send(ada, 'crash');
    let kids = await whichChildren(node, sup);
    while (kids[0]?.pid !== 'restarting') kids = await whichChildren(node, sup);
    await expect(terminateChild(node, sup, ada)).resolves.toBeUndefined();
    expect(await whichChildren(node, sup)).toEqual([]);
    next = 'run';
    await whichChildren(node, sup); // a retry still queued finds nothing to restart
    expect(trace.count('start ada')).toBe(1);
  });

  it("drops a child whose restart answers 'ignore'", async () => {
    const sup = await startSimpleOneForOne(node, { child: { start: flaky } });
    const ada = (await startChild(node, sup, { user: 'ada' })) as Pid;
    await startChild(node, sup, { user: 'bob' });
    next = 'ignore';
    node.send(ada, 'crash');
    await waitFor(() => trace.count('exit ada error') === 1, 'ada to crash');
    expect((await whichChildren(node, sup)).map((c) => trace.ids.get((c.pid as Pid).key))).toEqual(['bob']);
  });
});

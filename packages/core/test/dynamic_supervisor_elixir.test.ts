/**
 * DynamicSupervisor as Elixir has it: any child spec per startChild, mixed kinds,
 * maxChildren, extraArguments.
 */
import {
  Call,
  ChildSpecError,
  countChildren,
  DynamicSupervisor,
  GenServer,
  isDownMessage,
  startChild,
  startDynamicSupervisor,
  startLinkDynamicSupervisor,
  startSupervisor,
  stopSupervisor,
  supervisor,
  SupervisorChildError,
  terminateChild,
  whichChildren,
  type DownMessage,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { node, useNode, waitFor } from './helpers';

useNode();

class Worker extends GenServer<{ call: 'tag' | 'crash' }> {
  private t = '';
  override init(tag: string) {
    this.t = tag;
  }
  @Call() tag(): string {
    return this.t;
  }
  @Call() crash(): never {
    throw new Error('crash');
  }
}

/** A child spec whose start gets the supervisor's extra arguments after the parent. */
function tagged(id: string, restart: 'permanent' | 'transient' | 'temporary' = 'permanent') {
  return {
    id,
    restart,
    start: (parent: ProcessContext, ...extra: unknown[]) => Worker.startLink(parent, [id, ...extra].join(':')),
  };
}

const tagOf = (pid: Pid) => Worker.client(node, pid).call.tag();

/** The one running child of `sup` once it is another process than `old` (asked again on every event-loop turn). */
async function restartedFrom(sup: Pid, old: Pid): Promise<Pid> {
  for (;;) {
    const children = await whichChildren(node, sup);
    const c = children[0];
    if (children.length === 1 && c!.pid !== 'restarting' && !(c!.pid as Pid).equals(old)) return c!.pid as Pid;
    await new Promise((r) => setImmediate(r));
  }
}

describe('DynamicSupervisor (Elixir): startChild(sup, anyChildSpec)', () => {
  it('takes children of mixed kinds, each with its own spec', async () => {
    const sup = await startDynamicSupervisor(node);
    const w = (await startChild(node, sup, Worker.childSpec('w1', { restart: 'transient' }))) as Pid;
    const s = (await startChild(node, sup, { id: 'inner', type: 'supervisor', shutdown: 'infinity', start: (p) => startLinkDynamicSupervisor(p) })) as Pid;
    expect(await tagOf(w)).toBe('w1');
    const children = await whichChildren(node, sup);
    expect(children.map((c) => [c.type, c.restart])).toEqual([
      ['worker', 'transient'],
      ['supervisor', 'permanent'],
    ]);
    // Elixir counts every child's spec (OTP's simple_one_for_one counts its one template).
    expect(await countChildren(node, sup)).toEqual({ specs: 2, active: 2, supervisors: 1, workers: 1 });
    await stopSupervisor(node, sup);
    expect(node.isAlive(w) || node.isAlive(s)).toBe(false);
  });

  it('restarts each child by its own restart type', async () => {
    const sup = await startDynamicSupervisor(node);
    const permanent = (await startChild(node, sup, tagged('p'))) as Pid;
    const temporary = (await startChild(node, sup, tagged('t', 'temporary'))) as Pid;
    await expect(Worker.client(node, permanent).call.crash()).rejects.toThrow();
    await expect(Worker.client(node, temporary).call.crash()).rejects.toThrow();
    // The temporary child is gone; the permanent one runs again.
    expect(await tagOf(await restartedFrom(sup, permanent))).toBe('p');
    await stopSupervisor(node, sup);
  });

  it('refuses children past maxChildren', async () => {
    const sup = await startDynamicSupervisor(node, { flags: { maxChildren: 1 } });
    const first = (await startChild(node, sup, tagged('a'))) as Pid;
    const err = await startChild(node, sup, tagged('b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SupervisorChildError);
    expect(err).toMatchObject({ code: 'max_children' });
    await terminateChild(node, sup, first);
    expect(await tagOf((await startChild(node, sup, tagged('b'))) as Pid)).toBe('b');
    await stopSupervisor(node, sup);
  });

  it('calls every child start with the extra arguments after the parent, on restarts too', async () => {
    const sup = await startDynamicSupervisor(node, { extraArguments: ['x', 1] });
    const pid = (await startChild(node, sup, tagged('c'))) as Pid;
    expect(await tagOf(pid)).toBe('c:x:1');
    await expect(Worker.client(node, pid).call.crash()).rejects.toThrow();
    expect(await tagOf(await restartedFrom(sup, pid))).toBe('c:x:1');
    await stopSupervisor(node, sup);
  });

  it('refuses what is not a child spec with a ChildSpecError, and extraArguments that is not an array', async () => {
    const sup = await startDynamicSupervisor(node);
    await expect(startChild(node, sup, { user: 'ada' })).rejects.toThrow(ChildSpecError);
    await expect(startChild(node, sup, { id: 'x', start: tagged('x').start, restart: 'sometimes' } as never)).rejects.toThrow(ChildSpecError);
    await stopSupervisor(node, sup);
    await expect(startDynamicSupervisor(node, { extraArguments: 'x' as never })).rejects.toThrow(/extraArguments must be an array/);
  });

  it('stops children of different shutdowns together when it stops', async () => {
    const sup = await startDynamicSupervisor(node);
    const a = (await startChild(node, sup, { ...tagged('a'), shutdown: 'brutal_kill' })) as Pid;
    const b = (await startChild(node, sup, { ...tagged('b'), shutdown: 1000 })) as Pid;
    const downs: DownMessage[] = [];
    const watcher = node.spawn(async (ctx) => {
      ctx.monitor(a);
      ctx.monitor(b);
      for (let i = 0; i < 2; i++) downs.push((await ctx.receive(isDownMessage)) as DownMessage);
    });
    await waitFor(() => node.isAlive(watcher));
    await stopSupervisor(node, sup);
    await waitFor(() => downs.length === 2, 'both DOWN');
    expect(downs.map((d) => d.reason).sort()).toEqual(['killed', 'shutdown']);
  });

  it('a class: typed extra arguments, maxChildren from @supervisor', async () => {
    @supervisor({ intensity: 3, periodMs: 5000, maxChildren: 2 })
    class Jobs extends DynamicSupervisor<string, [string]> {
      override extraArguments(prefix: string): [string] {
        return [prefix];
      }
    }
    const sup = await Jobs.start(node, 'job');
    const pid = (await Jobs.startChild(node, sup, { id: 'j', start: (parent, prefix) => Worker.startLink(parent, `${prefix}-1`) })) as Pid;
    expect(await tagOf(pid)).toBe('job-1');
    await Jobs.startChild(node, sup, { id: 'k', start: (parent, prefix) => Worker.startLink(parent, prefix) });
    await expect(Jobs.startChild(node, sup, { id: 'l', start: (parent, prefix) => Worker.startLink(parent, prefix) })).rejects.toMatchObject({ code: 'max_children' });
    // Under another supervisor, as a supervisor child.
    const root = await startSupervisor(node, { children: [Jobs.childSpec('nested', { id: 'jobs' })] });
    expect((await whichChildren(node, root))[0]).toMatchObject({ id: 'jobs', type: 'supervisor' });
    await stopSupervisor(node, root);
    await stopSupervisor(node, sup);
  });
});

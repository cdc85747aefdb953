/**
 * Agent, Task and Registry (Elixir) with two TCP nodes in this OS process: an agent
 * named globally, and what is refused across nodes (an agent's or a task's function
 * cannot leave the node that made it).
 */
import { Agent, BadArgError, Registry, Task, TaskSupervisor, type ProcessContext } from '@grove/core';
import { globalOf, type DistNode } from '@grove/distribution';
import { useCluster } from '@grove/testing';

const cluster = useCluster();

describe('Agent, Task and Registry across nodes', () => {
  it('names an agent globally: its node uses it by that name, another node is refused at the caller', async () => {
    const [a, b] = (await cluster().nodes(2, 'e')) as [DistNode, DistNode];
    const pid = await Agent.start(b.node, () => ['tea'], { name: globalOf(b).via('menu') });
    await globalOf(a).sync();
    expect(globalOf(a).whereisName('menu')?.key).toBe(pid.key);
    await Agent.update(b.node, globalOf(b).via('menu'), (m: string[]) => [...m, 'cake']);
    expect(await Agent.get(b.node, globalOf(b).via('menu'), (m: string[]) => m)).toEqual(['tea', 'cake']);
    await expect(Agent.get(a.node, globalOf(a).via('menu'), (m: string[]) => m)).rejects.toBeInstanceOf(BadArgError);
    await expect(Agent.get(a.node, ['nobody', b.name], (m: string[]) => m)).rejects.toThrow(/on another node/);
  });

  it("runs a task on another node by one of its task supervisor's function names, linked or not", async () => {
    const [a, b] = (await cluster().nodes(2, 'r')) as [DistNode, DistNode];
    await TaskSupervisor.start(b.node, {
      name: 'tasks',
      functions: {
        sum: (ctx: ProcessContext, x: number, y: number) => ({ sum: x + y, on: ctx.node.name }),
        nothing: () => undefined,
        fail: () => {
          throw new Error('remote failure');
        },
      },
    });
    const r = await a.node.run(async (ctx) => {
      const t = await TaskSupervisor.async<{ sum: number; on: string }>(ctx, ['tasks', b.name], { call: 'sum', args: [1, 2] });
      expect(t.pid.node).toBe(b.name);
      const value = await Task.await(ctx, t, 5000);
      expect(await Task.await(ctx, await TaskSupervisor.async(ctx, ['tasks', b.name], { call: 'nothing' }), 5000)).toBeUndefined();
      const failed = await TaskSupervisor.asyncNolink(ctx, ['tasks', b.name], { call: 'fail' });
      const crash = await Task.yield(ctx, failed, 5000);
      const unknown = await TaskSupervisor.async(ctx, ['tasks', b.name], { call: 'nope' }).catch((e: unknown) => e);
      return { value, crash, unknown };
    });
    expect(r.value).toEqual({ sum: 3, on: b.name });
    expect(r.crash).toMatchObject({ exit: { message: 'remote failure' } });
    expect(String(r.unknown)).toMatch(/no function "nope" on/);
  });

  it('refuses a task supervisor on another node, and keeps registries per node', async () => {
    const [a, b] = (await cluster().nodes(2, 't')) as [DistNode, DistNode];
    await TaskSupervisor.start(b.node, { name: 'tasks' });
    await expect(a.node.run((ctx) => TaskSupervisor.async(ctx, ['tasks', b.name], () => 1))).rejects.toBeInstanceOf(BadArgError);
    await Registry.start(b.node, { name: 'reg', keys: 'unique' });
    expect(() => Registry.lookup(a.node, 'reg', 'k')).toThrow(/no registry named "reg"/);
  });
});

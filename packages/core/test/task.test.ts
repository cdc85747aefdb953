/**
 * Elixir's Task and Task.Supervisor (src/task/): async/await with its link
 * semantics, yield, shutdown, asyncStream, and tasks under a supervisor.
 */
import { BadArgError, ManualClock, Node, Task, TaskSupervisor, startSupervisor, stopServer, whichChildren, type Pid, type ProcessContext, type TaskResult } from '@grove/core';
import { node, useNode, waitFor } from './helpers';

useNode();

/** Runs `body` in a process and resolves with how it ended: `{ value }` or `{ reason }`. */
function outcome<T>(body: (ctx: ProcessContext) => Promise<T>): Promise<{ value: T } | { reason: unknown }> {
  return node.run(body).then(
    (value) => ({ value }),
    (reason: unknown) => ({ reason }),
  );
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('Task.async and Task.await', () => {
  it('runs the function in a linked task and awaits its result, leaving other messages alone', async () => {
    const r = await node.run(async (ctx) => {
      ctx.send(ctx.self, 'unrelated');
      const t = Task.async(ctx, async (c) => {
        expect(c.self).not.toEqual(ctx.self);
        return 6 * 7;
      });
      expect(node.processInfo(t.pid)?.links).toEqual([ctx.self]);
      const value = await Task.await(ctx, t);
      expect(await ctx.receive(undefined, 0)).toBe('unrelated');
      expect(ctx.mailboxLength).toBe(0);
      return value;
    });
    expect(r).toBe(42);
  });

  it("exits the owner when the task crashes (they are linked)", async () => {
    const r = await outcome(async (ctx) => {
      const t = Task.async(ctx, () => {
        throw new Error('task failed');
      });
      return Task.await(ctx, t);
    });
    expect(r).toMatchObject({ reason: { message: 'task failed' } });
  });

  it('exits the owner, and so the task, when await times out', async () => {
    const clock = new ManualClock();
    const local = new Node({ clock });
    let task: Pid | undefined;
    const r = local.run(async (ctx) => {
      const t = Task.async(ctx, (c) => c.receive((m) => m === 'never'));
      task = t.pid;
      return Task.await(ctx, t, 100);
    });
    await waitFor(() => clock.pending > 0, 'the await to wait');
    clock.advance(100);
    await expect(r).rejects.toMatchObject({ cause: { reason: 'timeout', where: 'Task.await' } });
    await waitFor(() => !local.isAlive(task!), 'the task to die with its owner');
    local.halt();
  });

  it('turns a crash into an await exit when the owner traps exits', async () => {
    const r = await outcome(async (ctx) => {
      ctx.trapExit(true);
      const t = Task.async(ctx, (c) => c.exit('boom'));
      return Task.await(ctx, t);
    });
    expect(r).toEqual({ reason: expect.objectContaining({ cause: { reason: 'boom', where: 'Task.await' } }) });
  });

  it('refuses an await from a process that is not the owner', async () => {
    const t = await node.run(async (ctx) => {
      const task = Task.async(ctx, () => 1);
      await Task.await(ctx, task);
      return task;
    });
    await expect(node.run((ctx) => Task.await(ctx, t))).rejects.toBeInstanceOf(BadArgError);
  });
});

describe('Task.yield and Task.shutdown', () => {
  it('yields undefined while the task runs, then its result', async () => {
    const r = await node.run(async (ctx) => {
      const t = Task.async(ctx, async (c) => {
        await c.receive((m) => m === 'go');
        return 'done';
      });
      const first = await Task.yield(ctx, t, 0);
      ctx.send(t.pid, 'go');
      return [first, await Task.yield(ctx, t)];
    });
    expect(r).toEqual([undefined, { ok: 'done' }]);
  });

  it('yields { exit } for a task that died, when trapping exits', async () => {
    const r = await node.run(async (ctx) => {
      ctx.trapExit(true);
      const t = Task.async(ctx, (c) => c.exit('gone'));
      return Task.yield(ctx, t);
    });
    expect(r).toEqual({ exit: 'gone' });
  });

  it('shuts a running task down, and answers its result when it had already replied', async () => {
    const r = await node.run(async (ctx) => {
      const running = Task.async(ctx, (c) => c.receive((m) => m === 'never'));
      const stopped = await Task.shutdown(ctx, running);
      const quick = Task.async(ctx, () => 'ready');
      await ctx.receive((m) => typeof m === 'object' && m !== null && 'taskRef' in m, 1000).then((m) => ctx.send(ctx.self, m));
      const replied = await Task.shutdown(ctx, quick, 'brutal_kill');
      return [stopped, replied, node.isAlive(running.pid)];
    });
    expect(r).toEqual([undefined, { ok: 'ready' }, false]);
  });
});

describe('Task.asyncStream', () => {
  it('runs at most maxConcurrency tasks and yields results in order', async () => {
    let running = 0;
    let peak = 0;
    const r = await node.run(async (ctx) =>
      collect(
        Task.asyncStream(
          ctx,
          [30, 10, 20, 0, 5],
          async (n, c) => {
            running++;
            peak = Math.max(peak, running);
            for (let i = 0; i < n; i++) await c.yield();
            running--;
            return n * 2;
          },
          { maxConcurrency: 2 },
        ),
      ),
    );
    expect(r).toEqual([{ ok: 60 }, { ok: 20 }, { ok: 40 }, { ok: 0 }, { ok: 10 }]);
    expect(peak).toBe(2);
  });

  it('yields results as they come when not ordered', async () => {
    const r = await node.run(async (ctx) => {
      const out: TaskResult<string>[] = [];
      const stream = Task.asyncStream(
        ctx,
        ['slow', 'fast'],
        async (s, c) => {
          if (s === 'slow') {
            c.register('slow');
            await c.receive((m) => m === 'go');
          }
          return s;
        },
        { ordered: false, maxConcurrency: 2 },
      );
      for await (const x of stream) {
        out.push(x);
        if (out.length === 1) ctx.send('slow', 'go');
      }
      return out;
    });
    expect(r).toEqual([{ ok: 'fast' }, { ok: 'slow' }]);
  });

  it('kills a task past its timeout with onTimeout kill_task, and exits the owner by default', async () => {
    const clock = new ManualClock();
    const local = new Node({ clock });
    const killed = local.run(async (ctx) =>
      collect(Task.asyncStream(ctx, [1, 2], async (n, c) => (n === 1 ? c.receive((m) => m === 'never') : n), { timeoutMs: 50, onTimeout: 'kill_task' })),
    );
    await waitFor(() => clock.pending > 0, 'the stream to wait');
    clock.advance(50);
    expect(await killed).toEqual([{ exit: 'timeout' }, { ok: 2 }]);

    const exited = local.run(async (ctx) => collect(Task.asyncStream(ctx, [1], (_n, c) => c.receive((m) => m === 'never'), { timeoutMs: 50 })));
    await waitFor(() => clock.pending > 0, 'the second stream to wait');
    clock.advance(50);
    await expect(exited).rejects.toMatchObject({ cause: { reason: 'timeout', where: 'Task.asyncStream' } });
    local.halt();
  });

  it('kills the tasks still running when the consumer stops early', async () => {
    const pids: Pid[] = [];
    await node.run(async (ctx) => {
      for await (const r of Task.asyncStream(ctx, [0, 1, 2], async (n, c) => {
        pids.push(c.self);
        if (n > 0) await c.receive((m) => m === 'never');
        return n;
      }, { maxConcurrency: 3 })) {
        expect(r).toEqual({ ok: 0 });
        break;
      }
    });
    await waitFor(() => pids.length === 3 && pids.every((p) => !node.isAlive(p)), 'the remaining tasks to be killed');
  });
});

describe('TaskSupervisor', () => {
  it('runs async tasks under the supervisor, linked to the caller too', async () => {
    const sup = await TaskSupervisor.start(node, { name: 'tasks' });
    const r = await node.run(async (ctx) => {
      const t = await TaskSupervisor.async(ctx, 'tasks', async (c) => {
        await c.receive((m) => m === 'go');
        return 'supervised';
      });
      const info = node.processInfo(t.pid)!;
      expect(info.links).toEqual(expect.arrayContaining([sup, ctx.self]));
      expect(await TaskSupervisor.children(ctx, 'tasks')).toEqual([t.pid]);
      ctx.send(t.pid, 'go');
      return Task.await(ctx, t);
    });
    expect(r).toBe('supervised');
    await waitFor(() => node.processInfo(sup)?.links.length === 0, 'the temporary task to be forgotten');
    expect(await TaskSupervisor.children(node, 'tasks')).toEqual([]);
  });

  it('keeps the caller alive when an asyncNolink task crashes', async () => {
    await TaskSupervisor.start(node, { name: 'tasks' });
    const r = await node.run(async (ctx) => {
      const t = await TaskSupervisor.asyncNolink(ctx, 'tasks', () => {
        throw new Error('nolink crash');
      });
      return Task.yield(ctx, t);
    });
    expect(r).toMatchObject({ exit: { message: 'nolink crash' } });
  });

  it('streams without links: a crash is one { exit } among the results', async () => {
    await TaskSupervisor.start(node, { name: 'tasks' });
    const r = await node.run(async (ctx) =>
      collect(
        TaskSupervisor.asyncStreamNolink(ctx, 'tasks', [1, 2, 3], (n) => {
          if (n === 2) throw new Error('two');
          return n;
        }),
      ),
    );
    expect(r).toEqual([{ ok: 1 }, { exit: expect.objectContaining({ message: 'two' }) }, { ok: 3 }] satisfies TaskResult<number>[] | unknown[]);
  });

  it('starts fire-and-forget children, honours maxChildren and stops its tasks when it stops', async () => {
    const sup = await TaskSupervisor.start(node, { maxChildren: 1 });
    const pid = await TaskSupervisor.startChild(node, sup, (c) => c.receive((m) => m === 'never'));
    await expect(TaskSupervisor.startChild(node, sup, () => 1)).rejects.toMatchObject({ code: 'max_children' });
    await node.run(async (ctx) => {
      ctx.trapExit(true);
      await stopServer(ctx, sup);
    });
    expect(node.isAlive(pid)).toBe(false);
  });

  it('runs one of its named functions with args, and refuses a name it does not have', async () => {
    await TaskSupervisor.start(node, { name: 'tasks', functions: { double: (_ctx: ProcessContext, n: number) => n * 2 } });
    const r = await node.run(async (ctx) => {
      const t = await TaskSupervisor.async<number>(ctx, 'tasks', { call: 'double', args: [21] });
      return Task.await(ctx, t);
    });
    expect(r).toBe(42);
    await expect(TaskSupervisor.startChild(node, 'tasks', { call: 'toString' })).rejects.toThrow(/no function "toString"/);
    await expect(TaskSupervisor.startChild(node, 'tasks', { call: 'double', args: 21 as unknown as unknown[] })).rejects.toBeInstanceOf(BadArgError);
  });

  it('nests under a supervisor as a supervisor child', async () => {
    const root = await startSupervisor(node, { children: [TaskSupervisor.childSpec({ name: 'tasks', id: 'task_sup' })] });
    expect(await whichChildren(node, root)).toEqual([expect.objectContaining({ id: 'task_sup', type: 'supervisor' })]);
    const r = await node.run(async (ctx) => Task.await(ctx, await TaskSupervisor.async(ctx, 'tasks', () => 'nested')));
    expect(r).toBe('nested');
  });

  it('refuses a supervisor on another node at the caller', async () => {
    await expect(node.run((ctx) => TaskSupervisor.async(ctx, ['tasks', 'other@host'], () => 1))).rejects.toBeInstanceOf(BadArgError);
  });
});

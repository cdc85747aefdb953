import { Call, Cast, GenServer, isDownMessage, startLinkSupervisor, startSupervisor, terminateChild, type DownMessage, type ExitReason, type Pid } from '@grove/core';
import { captureLogs, node, useNode, waitFor } from './helpers';

/** Tells `observer` about its start and its terminate. */
class Worker extends GenServer<{ call: 'ping'; cast: 'crash' }> {
  private opts!: { observer: Pid; tag: string };
  override init(opts: { observer: Pid; tag: string }) {
    this.opts = opts;
    this.ctx.trapExit(true);
    this.ctx.send(opts.observer, { started: opts.tag, pid: this.self });
  }
  override terminate(reason: ExitReason): void {
    this.ctx.send(this.opts.observer, { terminated: this.opts.tag, reason });
  }
  @Call() ping(): string {
    return 'pong';
  }
  @Cast() crash(): void {
    throw new Error('worker crash');
  }
}

type Note = { started?: string; terminated?: string; pid?: Pid; reason?: ExitReason };
const isNote = (m: unknown): m is Note => typeof m === 'object' && m !== null && ('started' in m || 'terminated' in m);

describe('a GenServer under a Supervisor', () => {
  useNode();

  it('runs terminate with shutdown when the supervisor terminates it', async () => {
    const notes = await node.run(async (ctx) => {
      const sup = await startSupervisor(ctx, { children: [Worker.childSpec({ observer: ctx.self, tag: 'a' }, { id: 'a' })] });
      const started = await ctx.receive(isNote);
      await terminateChild(ctx, sup, 'a');
      return [started.started, await ctx.receive(isNote)];
    });
    expect(notes).toEqual(['a', { terminated: 'a', reason: 'shutdown' }]);
  });

  it('is restarted after a crash, under its name, with one crash report', async () => {
    const logs = captureLogs(['gen_server', 'process', 'supervisor']);
    try {
      const got = await node.run(async (ctx) => {
        await startSupervisor(ctx, { children: [Worker.childSpec({ observer: ctx.self, tag: 'w' }, { name: 'w' })] });
        const first = await ctx.receive(isNote);
        Worker.client(ctx, 'w').cast.crash();
        const terminated = await ctx.receive(isNote);
        const second = await ctx.receive(isNote);
        await waitFor(() => node.whereis('w') !== undefined, 'the restarted worker to hold its name');
        return { first, terminated, second, ping: await Worker.client(ctx, 'w').call.ping() };
      });
      expect((got.terminated.reason as Error).message).toBe('worker crash');
      expect(got.second.started).toBe('w');
      expect(got.second.pid).not.toEqual(got.first.pid);
      expect(got.ping).toBe('pong');
      expect(logs.records.filter((r) => r.level === 'ERROR' && r.logger !== 'supervisor')).toHaveLength(1);
    } finally {
      logs.restore();
    }
  });

  it('runs terminate in every child, last started first, when the supervisor shuts down', async () => {
    const order = await node.run(async (ctx) => {
      ctx.trapExit(true); // we are the supervisor's parent: its exit comes back to us as a message
      const sup = await startLinkSupervisor(ctx, { children: ['x', 'y', 'z'].map((tag) => Worker.childSpec({ observer: ctx.self, tag }, { id: tag })) });
      for (let i = 0; i < 3; i++) await ctx.receive(isNote);
      const ref = ctx.monitor(sup);
      ctx.exit(sup, 'shutdown');
      const order: string[] = [];
      for (let i = 0; i < 3; i++) order.push((await ctx.receive(isNote)).terminated!);
      await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      return order;
    });
    expect(order).toEqual(['z', 'y', 'x']);
  });
});

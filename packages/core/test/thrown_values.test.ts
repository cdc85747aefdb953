import {
  Cast,
  GenServer,
  isCleanExit,
  isDownMessage,
  startSupervisor,
  whichChildren,
  type DownMessage,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { captureLogs, node, useNode, waitFor } from './helpers';

/** Spawns `body` monitored and resolves with its exit reason. */
async function exitReasonOf(ctx: ProcessContext, body: (c: ProcessContext) => unknown): Promise<unknown> {
  const [, ref] = ctx.spawnMonitor(body);
  return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
}

/** A transient worker that throws whatever it is cast. */
class Thrower extends GenServer<{ cast: 'throwIt' }> {
  override init(observer: Pid): void {
    this.ctx.send(observer, { started: this.self });
  }
  @Cast() throwIt(value: unknown): void {
    throw value;
  }
}

const isStarted = (m: unknown): m is { started: Pid } => typeof m === 'object' && m !== null && 'started' in m;

describe('a thrown value that is not an Error', () => {
  useNode();
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs(['gen_server', 'process', 'supervisor']);
  });
  afterEach(() => logs.restore());

  it.each([
    ['normal', 'normal'],
    ['shutdown', 'shutdown'],
    ['{ shutdown: x }', { shutdown: 'x' }],
    ['a number', 42],
    ['undefined', undefined],
  ])('is a crash with reason { nocatch: value } when %s is thrown (OTP {nocatch, Value})', async (_label, value) => {
    const reason = await node.run((ctx) =>
      exitReasonOf(ctx, () => {
        throw value;
      }),
    );
    expect(reason).toEqual({ nocatch: value });
    expect(isCleanExit(reason)).toBe(false);
  });

  it('is a crash when a promise rejects with it, and is reported once', async () => {
    const reason = await node.run((ctx) =>
      exitReasonOf(ctx, async (c) => {
        await c.receive(undefined, 0);
        throw 'normal';
      }),
    );
    expect(reason).toEqual({ nocatch: 'normal' });
    expect(logs.records.filter((r) => r.message === 'crash report')).toHaveLength(1);
  });

  it("kills a linked process that does not trap exits, where ctx.exit('normal') would not", async () => {
    const got = await node.run(async (ctx) => {
      const ends: unknown[] = [];
      for (const end of [(c: ProcessContext) => c.exit('normal'), () => Promise.reject('normal')]) {
        const linked = await exitReasonOf(ctx, async (c) => {
          const ref = c.monitor(c.spawnLink(async (child) => end(child)));
          await c.receive((m): m is DownMessage => isDownMessage(m, ref));
          // Still alive after the linked process ended: say so.
          c.exit('survived');
        });
        ends.push(linked);
      }
      return ends;
    });
    expect(got).toEqual(['survived', { nocatch: 'normal' }]);
  });

  it('restarts a transient GenServer child that threw shutdown', async () => {
    const got = await node.run(async (ctx) => {
      const sup = await startSupervisor(ctx, { children: [Thrower.childSpec(ctx.self, { id: 't', restart: 'transient' })] });
      const first = (await ctx.receive(isStarted)).started;
      Thrower.client(ctx, first).cast.throwIt('shutdown');
      const second = (await ctx.receive(isStarted)).started;
      await waitFor(() => node.isAlive(second), 'the restarted child');
      return { restarted: !second.equals(first), children: (await whichChildren(ctx, sup)).map((c) => c.id) };
    });
    expect(got).toEqual({ restarted: true, children: ['t'] });
  });

  it('ends a GenServer with { nocatch: value }', async () => {
    const reason = await node.run(async (ctx) => {
      const pid = (await Thrower.start(ctx, ctx.self)) as Pid;
      await ctx.receive(isStarted);
      const ref = ctx.monitor(pid);
      Thrower.client(ctx, pid).cast.throwIt('normal');
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(reason).toEqual({ nocatch: 'normal' });
  });
});

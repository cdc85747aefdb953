import { getLogLevel, isDownMessage, setLogLevel, type DownMessage, type LogLevel, type ProcessContext } from '@grove/core';
import { node, useNode } from './helpers';

class Kaput extends Error {}

/** Spawns `body` monitored and resolves with its exit reason. */
async function exitReasonOf(ctx: ProcessContext, body: (c: ProcessContext) => unknown, options?: { name?: string }): Promise<unknown> {
  const [, ref] = ctx.spawnMonitor(body, options);
  return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
}

describe('a crashing process', () => {
  useNode();

  it('exits with the error it throws synchronously, and the node goes on', async () => {
    const reason = await node.run((ctx) =>
      exitReasonOf(ctx, () => {
        throw new Kaput('sync failure');
      }),
    );
    expect(reason).toBeInstanceOf(Kaput);
    expect((reason as Error).message).toBe('sync failure');
    await expect(node.run(() => 'still running')).resolves.toBe('still running');
  });

  it('exits with the error its promise rejects with, and the node goes on', async () => {
    const reason = await node.run((ctx) =>
      exitReasonOf(ctx, async (c) => {
        await c.receive(undefined, 0);
        throw new Kaput('async failure');
      }),
    );
    expect(reason).toBeInstanceOf(Kaput);
    expect((reason as Error).message).toBe('async failure');
    await expect(node.run(() => 'still running')).resolves.toBe('still running');
  });

  it('exits with { nocatch: value } for a thrown non-Error value', async () => {
    const reason = await node.run((ctx) =>
      exitReasonOf(ctx, () => {
        throw { custom: 'term' };
      }),
    );
    expect(reason).toEqual({ nocatch: { custom: 'term' } });
  });

  it('exits with the reason given to ctx.exit, even from deep inside its code', async () => {
    const reason = await node.run((ctx) =>
      exitReasonOf(ctx, async (c) => {
        const deep = (): never => c.exit({ shutdown: 'done early' });
        await null;
        deep();
      }),
    );
    expect(reason).toEqual({ shutdown: 'done early' });
  });

  it('crashes a handler process that throws, leaving the rest of its mailbox unhandled', async () => {
    const got = await node.run(async (ctx) => {
      const handled: unknown[] = [];
      const pid = node.spawnLoop((m) => {
        if (m === 'bad') throw new Kaput('bad message');
        handled.push(m);
      });
      const ref = ctx.monitor(pid);
      for (const m of ['one', 'bad', 'two']) ctx.send(pid, m);
      const down = (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
      return { handled, reason: (down.reason as Error).message };
    });
    expect(got).toEqual({ handled: ['one'], reason: 'bad message' });
  });

  it('crashes a handler process whose returned promise rejects', async () => {
    const reason = await node.run(async (ctx) => {
      const pid = node.spawnLoop(async () => {
        await null;
        throw new Kaput('async handler');
      });
      const ref = ctx.monitor(pid);
      ctx.send(pid, 'go');
      return ((await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(reason).toBeInstanceOf(Kaput);
  });

  it('stops a killed body at its next use of the context, silently, even if it was awaiting something else', async () => {
    const got = await node.run(async (ctx) => {
      let release!: () => void;
      const external = new Promise<void>((r) => (release = r));
      const steps: string[] = [];
      const test = ctx.self;
      const [victim, ref] = ctx.spawnMonitor(async (v) => {
        steps.push('awaiting');
        v.send(test, 'started');
        await external; // not a Grove receive: the kill cannot interrupt it
        steps.push('resumed');
        v.send(v.self, 'after death'); // throws: the context is dead
        steps.push('never');
      });
      await ctx.receive((m) => m === 'started');
      ctx.exit(victim, 'kill');
      const down = (await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage;
      release();
      await external;
      await ctx.receive(undefined, 0);
      return { reason: down.reason, steps };
    });
    expect(got).toEqual({ reason: 'killed', steps: ['awaiting', 'resumed'] });
  });

  it('makes node.run reject with the error of its body', async () => {
    await expect(
      node.run(() => {
        throw new Kaput('run failed');
      }),
    ).rejects.toThrow('run failed');
  });

  it('makes node.run reject with an Error describing a non-Error exit reason', async () => {
    await expect(node.run((ctx) => ctx.exit('shutdown'))).rejects.toThrow('shutdown');
  });
});

describe('crash reports', () => {
  useNode();
  let level: LogLevel;
  let logSpy: jest.SpyInstance;
  beforeEach(() => {
    level = getLogLevel();
    logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    logSpy.mockRestore();
    setLogLevel(level);
  });

  const printed = (): string => logSpy.mock.calls.map((args: unknown[]) => args.map(String).join(' ')).join('\n');

  it('logs one crash report, with the pid, the name and the error, for a process that throws', async () => {
    setLogLevel('error');
    const pid = await node.run(async (ctx) => {
      const [p, ref] = ctx.spawnMonitor(
        () => {
          throw new Kaput('reported failure');
        },
        { name: 'reported_proc' },
      );
      await ctx.receive((m) => isDownMessage(m, ref));
      return p;
    });
    const out = printed();
    expect(out.match(/crash report/g)).toHaveLength(1);
    expect(out).toContain('reported failure');
    expect(out).toContain(String(pid));
    expect(out).toContain('reported_proc');
  });

  it('logs nothing for normal and shutdown exits, nor for deaths by exit signal', async () => {
    setLogLevel('error');
    await node.run(async (ctx) => {
      await exitReasonOf(ctx, () => 'fine');
      await exitReasonOf(ctx, (c) => c.exit('shutdown'));
      await exitReasonOf(ctx, (c) => c.exit({ shutdown: 'detail' }));
      const [victim, ref] = ctx.spawnMonitor((c) => c.receive());
      ctx.exit(victim, 'kill');
      await ctx.receive((m) => isDownMessage(m, ref));
    });
    expect(printed()).toBe('');
  });

  it("logs nothing at level 'silent'", async () => {
    setLogLevel('silent');
    await node.run((ctx) =>
      exitReasonOf(ctx, () => {
        throw new Kaput('unreported failure');
      }),
    );
    expect(logSpy).not.toHaveBeenCalled();
  });

  it('refuses an unknown log level', () => {
    expect(() => setLogLevel('loud' as LogLevel)).toThrow(/unknown log level/);
  });
});

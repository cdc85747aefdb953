import {
  Agent,
  BadArgError,
  Call,
  callServer,
  Cast,
  castServer,
  GenServer,
  GenStateMachine,
  isDownMessage,
  ManualClock,
  type StatemEvent,
  type StateResult,
  MailboxFullError,
  startSupervisor,
  sys,
  whichChildren,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { captureLogs, downReason, node, useNode, waitFor } from './helpers';

/** A body that waits for `'go'`, then reports everything else in its mailbox to `to`. */
function holder(to: Pid) {
  return async (ctx: ProcessContext): Promise<void> => {
    await ctx.receive((m) => m === 'go');
    const got: unknown[] = [];
    while (ctx.mailboxLength > 0) got.push(await ctx.receive());
    ctx.send(to, { got });
  };
}

const isGot = (m: unknown): m is { got: unknown[] } => typeof m === 'object' && m !== null && 'got' in m;

/** A server whose `block` call holds the server (an async handler) until `release` resolves it. */
class Gate extends GenServer<{ call: 'block' | 'ping'; cast: 'note' }> {
  static release: (() => void) | null = null;
  notes = 0;
  @Call() block(): Promise<string> {
    return new Promise((resolve) => {
      Gate.release = () => resolve('released');
    });
  }
  @Call() ping(): string {
    return 'pong';
  }
  @Cast() note(): void {
    this.notes++;
  }
}

/** Waits in 'armed' for its state timeout, then moves to 'fired'; `state` answers the state, casts are counted. */
class Alarm extends GenStateMachine<string> {
  static override readonly callbackMode = 'handleEventFunction';
  casts = 0;
  override init() {
    return this.nextState('armed', this.stateTimeout(100, 'ring'));
  }
  override handleEvent(ev: StatemEvent<string>, state: string): StateResult<string> {
    if (ev.type === 'call') return this.keepState(this.replyTo(ev.from, [state, this.casts]));
    if (ev.type === 'cast') this.casts++;
    if (ev.type === 'stateTimeout') return this.nextState('fired');
    return undefined;
  }
}

describe('a bounded GenStateMachine', () => {
  let clock: ManualClock;
  useNode(() => ({ clock: (clock = new ManualClock()) }));

  it('gets its own timeouts even when its mailbox is full', async () => {
    const pid = (await Alarm.start(node, undefined, { mailbox: { max: 2, overflow: 'drop_newest' } })) as Pid;
    expect(await callServer(node, pid, 'state')).toEqual(['armed', 0]);
    for (const c of ['one', 'two', 'three']) castServer(node, pid, c);
    clock.advance(100);
    expect(node.processInfo(pid)).toMatchObject({ mailboxLength: 3, droppedMessages: 1 });
    // A call now would find the mailbox full too: it waits until the machine took them.
    await waitFor(() => node.processInfo(pid)?.mailboxLength === 0, 'the machine drains its mailbox');
    expect(await callServer(node, pid, 'state')).toEqual(['fired', 2]);
  });
});

describe('bounded mailboxes', () => {
  useNode();

  it('drop_newest keeps the first max messages, counts the drops and shows the bound in processInfo', async () => {
    const got = await node.run(async (ctx) => {
      const pid = ctx.spawn(holder(ctx.self), { mailbox: { max: 3, overflow: 'drop_newest' } });
      await waitFor(() => node.processInfo(pid)?.status === 'waiting', 'the holder waits');
      for (const m of ['a', 'b', 'c', 'd', 'e']) ctx.send(pid, m);
      expect(node.processInfo(pid)).toMatchObject({ mailboxLength: 3, droppedMessages: 2, mailboxLimit: { max: 3, overflow: 'drop_newest' } });
      ctx.send(pid, 'go');
      return (await ctx.receive(isGot)).got;
    });
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('lets through the message a receive waits for even when the mailbox is full', async () => {
    const got = await node.run(async (ctx) => {
      const pid = ctx.spawn(holder(ctx.self), { mailbox: { max: 2, overflow: 'drop_newest' } });
      await waitFor(() => node.processInfo(pid)?.status === 'waiting', 'the holder waits');
      ctx.send(pid, 'a');
      ctx.send(pid, 'b');
      ctx.send(pid, 'go');
      return (await ctx.receive(isGot)).got;
    });
    expect(got).toEqual(['a', 'b']);
  });

  it('drop_oldest drops the oldest message, never an EXIT queued before it', async () => {
    const got = await node.run(async (ctx) => {
      const pid = ctx.spawn(holder(ctx.self), { mailbox: { max: 3, overflow: 'drop_oldest' }, trapExit: true });
      await waitFor(() => node.processInfo(pid)?.status === 'waiting', 'the holder waits');
      // An EXIT queues first: the runtime's own message, kept whatever the bound.
      node.exit(pid, 'hello');
      ctx.send(pid, 1);
      await waitFor(() => node.processInfo(pid)?.mailboxLength === 2, 'the EXIT and 1 are queued');
      for (const m of [2, 3, 4]) ctx.send(pid, m);
      expect(node.processInfo(pid)).toMatchObject({ mailboxLength: 3, droppedMessages: 2 });
      ctx.send(pid, 'go');
      return (await ctx.receive(isGot)).got;
    });
    expect(got).toEqual([{ type: 'EXIT', from: expect.anything(), reason: 'hello' }, 3, 4]);
  });

  it('admits a DOWN over the bound and drop_oldest never drops it', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const victim = ctx.spawn(async (v) => {
        await v.receive((m) => m === 'die');
      });
      const pid = ctx.spawn(
        async (w) => {
          w.monitor(victim);
          w.send(test, 'monitoring');
          await holder(test)(w);
        },
        { mailbox: { max: 2, overflow: 'drop_oldest' } },
      );
      await ctx.receive((m) => m === 'monitoring');
      ctx.send(victim, 'die');
      await waitFor(() => node.processInfo(pid)?.mailboxLength === 1, 'the DOWN arrives');
      for (const m of [1, 2, 3]) ctx.send(pid, m);
      expect(node.processInfo(pid)).toMatchObject({ mailboxLength: 2, droppedMessages: 2 });
      ctx.send(pid, 'go');
      return (await ctx.receive(isGot)).got;
    });
    expect(got).toHaveLength(2);
    expect(isDownMessage(got[0])).toBe(true);
    expect(got[1]).toBe(3);
  });

  it('exit ends the process with { mailbox_overflow: max }, even when it traps exits', async () => {
    const reason = await node.run(async (ctx) => {
      const pid = ctx.spawn(holder(ctx.self), { mailbox: { max: 2, overflow: 'exit' }, trapExit: true });
      const down = downReason(ctx, pid);
      for (let i = 0; i < 10; i++) ctx.send(pid, i);
      return down;
    });
    expect(reason).toEqual({ mailbox_overflow: 2 });
  });

  it('reject fails a call at once with MailboxFullError and drops casts, while sys requests still get through', async () => {
    const server = await Gate.start(node, undefined, { mailbox: { max: 1, overflow: 'reject' } });
    const blocked = callServer(node, server, 'block');
    await waitFor(() => Gate.release !== null, 'the server blocks');
    const queued = callServer(node, server, 'ping');
    await expect(callServer(node, server, 'ping')).rejects.toBeInstanceOf(MailboxFullError);
    await expect(callServer(node, server, 'ping')).rejects.toMatchObject({ code: 'mailbox_full', server, max: 1 });
    castServer(node, server, 'note');
    // A system request is admitted over the bound: a flooded server can be inspected.
    const state = sys.getState(node, server);
    expect(node.processInfo(server)).toMatchObject({ mailboxLength: 2, droppedMessages: 3, mailboxLimit: { max: 1, overflow: 'reject' } });
    Gate.release!();
    Gate.release = null;
    expect(await blocked).toBe('released');
    expect(await queued).toBe('pong');
    expect(await state).toMatchObject({ notes: 0 });
  });

  it('warns about drops at most once per interval per process', async () => {
    const logs = captureLogs(['process']);
    try {
      await node.run(async (ctx) => {
        const pid = ctx.spawn(holder(ctx.self), { mailbox: { max: 1, overflow: 'drop_newest' } });
        await waitFor(() => node.processInfo(pid)?.status === 'waiting', 'the holder waits');
        for (let i = 0; i < 100; i++) ctx.send(pid, i);
        expect(node.processInfo(pid)?.droppedMessages).toBe(99);
        ctx.send(pid, 'go');
        await ctx.receive(isGot);
      });
      const warnings = logs.records.filter((r) => r.message.includes('mailbox full'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain("max 1, overflow 'drop_newest'");
    } finally {
      logs.restore();
    }
  });

  it('leaves an unbounded process unbounded', () => {
    const pid = node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'never');
    });
    for (let i = 0; i < 1000; i++) node.send(pid, i);
    expect(node.processInfo(pid)).toMatchObject({ mailboxLength: 1000, droppedMessages: 0, mailboxLimit: undefined });
  });

  it('rejects a bad bound at spawn and at start with a BadArgError', async () => {
    const body = async (): Promise<void> => undefined;
    const before = node.processCount;
    expect(() => node.spawn(body, { mailbox: { max: 0, overflow: 'drop_newest' } })).toThrow(BadArgError);
    expect(() => node.spawn(body, { mailbox: { max: 1.5, overflow: 'reject' } })).toThrow(/mailbox.max must be an integer >= 1/);
    expect(() => node.spawn(body, { mailbox: { max: 5, overflow: 'block' as never } })).toThrow(/mailbox.overflow must be one of/);
    expect(() => node.spawn(body, { mailbox: null as never })).toThrow(BadArgError);
    expect(node.processCount).toBe(before);
    await expect(Gate.start(node, undefined, { mailbox: { max: -1, overflow: 'exit' } })).rejects.toBeInstanceOf(BadArgError);
  });

  it('bounds an Agent and a supervised child started from a child spec', async () => {
    const agent = await Agent.start(node, () => 0, { mailbox: { max: 10, overflow: 'drop_oldest' } });
    expect(node.processInfo(agent)?.mailboxLimit).toEqual({ max: 10, overflow: 'drop_oldest' });
    const sup = await startSupervisor(node, { children: [Gate.childSpec(undefined, { id: 'gate', mailbox: { max: 4, overflow: 'exit' } })] });
    const [child] = await whichChildren(node, sup);
    expect(node.processInfo(child!.pid as Pid)?.mailboxLimit).toEqual({ max: 4, overflow: 'exit' });
  });
});

/**
 * Signals from one process to another arrive in the order sent, whatever their kind:
 * messages, exit signals, DOWNs, call replies (OTP's signal ordering guarantee).
 */
import {
  Call,
  CallExitError,
  GenServer,
  isDownMessage,
  isExitMessage,
  Supervisor,
  whichChildren,
  type ChildSpec,
  type DownMessage,
  type ExitMessage,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { downReason, node, useNode, waitFor, waitForever } from './helpers';

/** A body that reports every message it receives to `observer`, tagged, forever. */
function reporter(observer: Pid, trap: boolean) {
  return async (ctx: ProcessContext): Promise<void> => {
    ctx.trapExit(trap);
    ctx.send(observer, { ready: ctx.self });
    for (;;) {
      const m = await ctx.receive();
      ctx.send(observer, { got: isExitMessage(m) ? `EXIT ${String(m.reason)}` : isDownMessage(m) ? `DOWN ${String(m.reason)}` : m });
    }
  };
}

/** A supervisor with no children. */
class Empty extends Supervisor {
  children(): ChildSpec[] {
    return [];
  }
}

const isReady = (m: unknown): m is { ready: Pid } => typeof m === 'object' && m !== null && 'ready' in m;
const isGot = (m: unknown): m is { got: unknown } => typeof m === 'object' && m !== null && 'got' in m;

/** Waits until `pid` sits in `receive` with nothing to do. */
async function waitingInReceive(pid: Pid): Promise<void> {
  await waitFor(() => node.processInfo(pid)?.status === 'waiting', 'the process to wait in receive');
}

describe('signals from one process to another', () => {
  useNode();

  it('kill a process waiting in receive before it sees a message sent after the exit signal', async () => {
    const ran: unknown[] = [];
    const reason = await node.run(async (ctx) => {
      const victim = ctx.spawn(async (c) => {
        const m = await c.receive();
        ran.push(m); // code that does not touch ctx: it must never run
      });
      await waitingInReceive(victim);
      const ref = ctx.monitor(victim);
      ctx.exit(victim, 'custom');
      ctx.send(victim, 'm1');
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect({ reason, ran }).toEqual({ reason: 'custom', ran: [] });
  });

  it.each([
    ['a body process waiting in receive', 'body'],
    ['a handler process', 'handler'],
  ])('reach %s that traps exits as an EXIT before a message sent after it', async (_label, kind) => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const victim =
        kind === 'body'
          ? ctx.spawn(reporter(test, true))
          : node.spawnLoop((m, c) => c.send(test, { got: isExitMessage(m) ? `EXIT ${String(m.reason)}` : m }), { trapExit: true });
      if (kind === 'body') await ctx.receive(isReady);
      await waitingInReceive(victim);
      ctx.exit(victim, 'custom');
      ctx.send(victim, 'm1');
      ctx.send(victim, 'm2');
      return [(await ctx.receive(isGot)).got, (await ctx.receive(isGot)).got, (await ctx.receive(isGot)).got];
    });
    expect(got).toEqual(['EXIT custom', 'm1', 'm2']);
  });

  it('put an exit signal sent to a busy process ahead of the messages sent after it', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const victim = node.spawnLoop(
        async (m, c) => {
          if (m === 'hold') await gate;
          c.send(test, { got: isExitMessage(m) ? `EXIT ${String(m.reason)}` : m });
        },
        { trapExit: true },
      );
      ctx.send(victim, 'hold');
      await waitFor(() => node.processInfo(victim)?.mailboxLength === 0, 'the victim to take hold');
      ctx.send(victim, 'm0');
      ctx.exit(victim, 'custom');
      ctx.send(victim, 'm1');
      release();
      const out: unknown[] = [];
      for (let i = 0; i < 4; i++) out.push((await ctx.receive(isGot)).got);
      return out;
    });
    expect(got).toEqual(['hold', 'm0', 'EXIT custom', 'm1']);
  });

  it('kill a process that links to and monitors a crashing one before it sees the DOWN', async () => {
    const ran: unknown[] = [];
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const crashing = ctx.spawn(async (c) => {
        await c.receive((m) => m === 'crash');
        c.exit('boom');
      });
      const watcher = ctx.spawn(async (c) => {
        c.link(crashing);
        const ref = c.monitor(crashing);
        c.send(test, { ready: c.self });
        await c.receive((m) => isDownMessage(m, ref));
        ran.push('saw the DOWN'); // code that does not touch ctx: it must never run
      });
      await ctx.receive(isReady);
      await waitingInReceive(watcher);
      const ref = ctx.monitor(watcher);
      ctx.send(crashing, 'crash');
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect({ reason: got, ran }).toEqual({ reason: 'boom', ran: [] });
  });

  it("give a trapping process that links to and monitors a crashing one the EXIT before the DOWN, as OTP's exit order", async () => {
    const got = await node.run(async (ctx) => {
      const crashing = ctx.spawn(async (c) => {
        await c.receive((m) => m === 'crash');
        c.exit('boom');
      });
      const watcher = ctx.spawn(async (c) => {
        c.trapExit(true);
        c.link(crashing);
        c.monitor(crashing);
        await reporter(ctx.self, true)(c);
      });
      await ctx.receive(isReady);
      ctx.send(crashing, 'crash');
      const out = [(await ctx.receive(isGot)).got, (await ctx.receive(isGot)).got];
      ctx.exit(watcher, 'kill');
      return out;
    });
    expect(got).toEqual(['EXIT boom', 'DOWN boom']);
  });

  it('deliver the messages a process sent before it died ahead of its DOWN', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const [, ref] = ctx.spawnMonitor((c) => {
        for (let i = 0; i < 3; i++) c.send(test, i);
        c.exit('done');
      });
      const out: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await ctx.receive();
        out.push(isDownMessage(m, ref) ? 'DOWN' : m);
      }
      return out;
    });
    expect(got).toEqual([0, 1, 2, 'DOWN']);
  });

  it('never resume a caller that the server killed before it replied', async () => {
    class Killer extends GenServer<{ call: 'killMe' }> {
      @Call() killMe(): string {
        this.ctx.exit(this.from.pid, 'custom');
        return 'reply after the exit signal';
      }
    }
    const got = await node.run(async (ctx) => {
      const server = (await Killer.start(ctx)) as Pid;
      const seen: unknown[] = [];
      const caller = ctx.spawn(async (c) => {
        seen.push(await Killer.client(c, server).call.killMe());
      });
      return { reason: await downReason(ctx, caller), seen };
    });
    expect(got).toEqual({ reason: 'custom', seen: [] });
  });

  it('make a supervisor told to shut down by its parent, then called, shut down instead of answering', async () => {
    const got = await node.run(async (ctx) => {
      ctx.trapExit(true);
      const sup = await Empty.startLink(ctx);
      const ref = ctx.monitor(sup);
      ctx.exit(sup, 'shutdown');
      const answer = await whichChildren(ctx, sup).then(
        (children) => ({ answered: children }),
        (e: unknown) => ({ failed: e instanceof CallExitError ? e.reason : e }),
      );
      const down = (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage;
      const exit = (await ctx.receive((m): m is ExitMessage => isExitMessage(m) && m.from.equals(sup))) as ExitMessage;
      return { answer, down: down.reason, exit: exit.reason };
    });
    expect(got).toEqual({ answer: { failed: 'shutdown' }, down: 'shutdown', exit: 'shutdown' });
  });

  it('are taken in by receive before it looks at the mailbox, as OTP does', async () => {
    const ran: unknown[] = [];
    const got = await node.run(async (ctx) => {
      // Trapping: an exit signal to itself is already an EXIT for a poll that follows it.
      ctx.trapExit(true);
      ctx.exit(ctx.self, 'to myself');
      const polled = await ctx.receive(isExitMessage, 0);
      // Not trapping: the receive that follows it is where the process ends.
      const victim = ctx.spawn(async (c) => {
        c.exit(c.self, 'custom');
        await c.receive(undefined, 0);
        ran.push('ran on'); // must never run
      });
      return { polled: isExitMessage(polled) ? polled.reason : polled, victim: await downReason(ctx, victim) };
    });
    expect({ ...got, ran }).toEqual({ polled: 'to myself', victim: 'custom', ran: [] });
  });

  it('answer a monitor made behind an exit signal that kills the target with DOWN noproc, as OTP', async () => {
    const got = await node.run(async (ctx) => {
      const victim = ctx.spawn(waitForever);
      ctx.exit(victim, 'custom');
      const ref = ctx.monitor(victim);
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(got).toBe('noproc');
  });

  it('answer a link made behind an exit signal that kills the target with an exit noproc, as OTP', async () => {
    const got = await node.run(async (ctx) => {
      ctx.trapExit(true);
      const victim = ctx.spawn(waitForever);
      ctx.exit(victim, 'custom');
      ctx.link(victim);
      return ((await ctx.receive((m): m is ExitMessage => isExitMessage(m) && m.from.equals(victim))) as ExitMessage).reason;
    });
    expect(got).toBe('noproc');
  });

  it('leave nothing behind for a link and a monitor made and removed behind an exit signal', async () => {
    const got = await node.run(async (ctx) => {
      const victim = ctx.spawn(waitForever, { trapExit: true });
      ctx.exit(victim, 'custom'); // trapped: the victim lives on
      ctx.link(victim);
      ctx.unlink(victim);
      const ref = ctx.monitor(victim);
      ctx.demonitor(ref);
      await waitFor(() => node.processInfo(victim)?.status === 'waiting', 'the victim to take its signals in');
      const info = node.processInfo(victim)!;
      return { links: info.links.length, monitoredBy: info.monitoredBy };
    });
    expect(got).toEqual({ links: 0, monitoredBy: 0 });
  });

  it('keep a DOWN that waits behind an exit signal removable by demonitor with flush', async () => {
    const got = await node.run(async (ctx) => {
      const [dead, ref0] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref0));
      ctx.trapExit(true);
      ctx.exit(ctx.self, 'to myself');
      const ref = ctx.monitor(dead); // DOWN noproc, queued behind the exit signal
      ctx.demonitor(ref, { flush: true });
      const first = (await ctx.receive()) as ExitMessage;
      return { first: first.reason, then: await ctx.receive(undefined, 0) };
    });
    expect(got).toEqual({ first: 'to myself', then: expect.any(Symbol) });
  });
});

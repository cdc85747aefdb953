import {
  Call,
  CallExitError,
  Cast,
  GenServer,
  Info,
  stopServer,
  type DownMessage,
  type ExitMessage,
  type ExitReason,
  isDownMessage,
  type Pid,
  type ProcessContext,
  type Ref,
  TIMEOUT,
} from '@grove/core';
import { captureLogs, downReason, node, useNode } from './helpers';

/** Records what happened, in order, and tells `observer` when it terminates. */
class Lifecycle extends GenServer<{ call: 'events_' | 'noteThenContinue'; cast: 'note' | 'stop' | 'crash' }> {
  events: string[] = [];
  private observer!: Pid;
  override async init(opts: { observer: Pid; trap?: boolean; continueWith?: string; gate?: boolean }) {
    this.observer = opts.observer;
    if (opts.trap === true) this.ctx.trapExit(true);
    if (opts.gate === true) {
      this.ctx.send(this.observer, { initStarted: this.self });
      await this.ctx.receive((m) => m === 'go');
    }
    this.events.push('init');
    if (opts.continueWith !== undefined) return this.continueWith(opts.continueWith);
    return undefined;
  }
  override handleContinue(arg: string) {
    this.events.push(`continue ${arg}`);
    if (arg === 'twice') return this.continueWith('again');
    if (arg === 'stop') return this.stopWith('normal');
    return undefined;
  }
  override terminate(reason: ExitReason): void {
    this.ctx.send(this.observer, { terminated: reason, events: this.events });
  }
  @Call() events_(): string[] {
    return this.events;
  }
  @Cast() note(what: string): void {
    this.events.push(what);
  }
  @Call() noteThenContinue(what: string) {
    this.events.push(what);
    return this.continueWith(`after ${what}`, 'noted');
  }
  @Cast() stop(reason: ExitReason) {
    return this.stopWith(reason);
  }
  @Cast() crash(): void {
    throw new Error('cast crash');
  }
  @Info() hello(): void {
    this.events.push('hello');
  }
}

class AsyncTerminate extends GenServer<{ call: 'quit' }> {
  private observer!: Pid;
  override init(observer: Pid) {
    this.observer = observer;
  }
  override async terminate(reason: ExitReason): Promise<void> {
    await Promise.resolve();
    this.ctx.send(this.observer, { terminated: reason });
  }
  @Call() quit() {
    return this.stopWith('normal', 'done');
  }
}

/** Resolves with the reason of the DOWN for `ref` (the monitor was set up earlier). */
async function down(ctx: ProcessContext, ref: Ref): Promise<unknown> {
  return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
}

type Terminated = { terminated: ExitReason; events: string[] };
const isTerminated = (m: unknown): m is Terminated => typeof m === 'object' && m !== null && 'terminated' in m;

describe('GenServer lifecycle', () => {
  useNode();

  it('runs handleContinue from init before any message, even one queued during init', async () => {
    const events = await node.run(async (ctx) => {
      const starting = Lifecycle.start(ctx, { observer: ctx.self, continueWith: 'setup', gate: true });
      const { initStarted } = (await ctx.receive()) as { initStarted: Pid };
      ctx.send(initStarted, 'hello'); // queued while init still runs
      ctx.send(initStarted, 'go');
      const pid = await starting;
      return Lifecycle.client(ctx, pid).call.events_();
    });
    expect(events).toEqual(['init', 'continue setup', 'hello']);
  });

  it('runs handleContinue from init when no message ever comes', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Lifecycle.start(ctx, { observer: ctx.self, continueWith: 'stop' });
      return { reason: await downReason(ctx, pid), term: await ctx.receive(isTerminated) };
    });
    expect(got.term.events).toEqual(['init', 'continue stop']);
    expect(['normal', 'noproc']).toContain(got.reason);
  });

  it('runs a continue before the next message, chaining continues', async () => {
    const events = await node.run(async (ctx) => {
      const c = Lifecycle.client(ctx, await Lifecycle.start(ctx, { observer: ctx.self }));
      const reply = c.call.noteThenContinue('a');
      c.cast.note('b');
      const r = await reply;
      const events = await c.call.events_();
      const c2 = Lifecycle.client(ctx, await Lifecycle.start(ctx, { observer: ctx.self, continueWith: 'twice' }));
      c2.cast.note('x');
      return { r, events, chained: await c2.call.events_() };
    });
    expect(events.r).toBe('noted');
    expect(events.events).toEqual(['init', 'a', 'continue after a', 'b']);
    expect(events.chained).toEqual(['init', 'continue twice', 'continue again', 'x']);
  });

  it('calls terminate with the reason on stop', async () => {
    const got = await node.run(async (ctx) => {
      const c = Lifecycle.client(ctx, await Lifecycle.start(ctx, { observer: ctx.self }));
      c.cast.stop({ shutdown: 'bye' });
      return ctx.receive(isTerminated);
    });
    expect(got.terminated).toEqual({ shutdown: 'bye' });
  });

  it('calls terminate, async too, before the stop reply reaches the caller', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await AsyncTerminate.start(ctx, ctx.self);
      const reply = await AsyncTerminate.client(ctx, pid).call.quit();
      const term = await ctx.receive(undefined, 0);
      return { reply, term };
    });
    expect(got).toEqual({ reply: 'done', term: { terminated: 'normal' } });
  });

  it('calls terminate with the error when a callback throws', async () => {
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx) => {
        const pid = await Lifecycle.start(ctx, { observer: ctx.self });
        Lifecycle.client(ctx, pid).cast.crash();
        return { term: await ctx.receive(isTerminated), reason: await downReason(ctx, pid) };
      });
      expect((got.term.terminated as Error).message).toBe('cast crash');
    } finally {
      logs.restore();
    }
  });

  it('calls terminate when the parent exits it with shutdown while trapping exits', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const parent = ctx.spawn(async (p: ProcessContext) => {
        const pid = await Lifecycle.startLink(p, { observer: test, trap: true });
        p.send(test, pid);
        await p.receive((m) => m === 'shut');
        p.exit(pid, 'shutdown');
        await p.receive((m) => m === 'never');
      });
      const pid = (await ctx.receive()) as Pid;
      const ref = ctx.monitor(pid);
      ctx.send(parent, 'shut');
      return { term: await ctx.receive(isTerminated), reason: await down(ctx, ref) };
    });
    expect(got.term.terminated).toBe('shutdown');
    expect(got.reason).toBe('shutdown');
  });

  it('calls terminate when the parent dies while trapping exits', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const parent = ctx.spawn(async (p: ProcessContext) => {
        const pid = await Lifecycle.startLink(p, { observer: test, trap: true });
        p.send(test, pid);
        await p.receive((m) => m === 'die');
        throw new Error('parent died');
      });
      const pid = (await ctx.receive()) as Pid;
      const ref = ctx.monitor(pid);
      ctx.send(parent, 'die');
      return { term: await ctx.receive(isTerminated), reason: await down(ctx, ref) };
    });
    expect((got.term.terminated as Error).message).toBe('parent died');
    expect((got.reason as Error).message).toBe('parent died');
  });

  // OTP: gen_server:start makes the process its own parent; only a linked starter is one.
  describe('started without a link (its own parent)', () => {
    /** Traps exits and keeps the EXITs it gets as messages. */
    class Trapper extends GenServer<{ call: 'exits_'; cast: 'exitSelf' }> {
      exits: ExitMessage[] = [];
      private observer!: Pid;
      override init(observer: Pid) {
        this.observer = observer;
        this.ctx.trapExit(true);
      }
      @Info('EXIT') onExit(m: ExitMessage): void {
        this.exits.push(m);
      }
      @Call() exits_(): ExitMessage[] {
        return this.exits;
      }
      @Cast() exitSelf(reason: ExitReason): void {
        this.ctx.exit(this.self, reason);
      }
      override terminate(reason: ExitReason): void {
        this.ctx.send(this.observer, { terminated: reason, events: [] });
      }
    }

    it('hands its starter’s EXIT to handleInfo, even once the starter linked to it and exited', async () => {
      const got = await node.run(async (ctx) => {
        const test = ctx.self;
        const starter = ctx.spawn(async (p: ProcessContext) => {
          const pid = await Trapper.start(p, test);
          p.link(pid);
          p.send(test, pid);
          await p.receive((m) => m === 'go');
          p.exit(pid, 'shutdown');
        });
        const pid = (await ctx.receive()) as Pid;
        const ref = ctx.monitor(starter);
        ctx.send(starter, 'go');
        await down(ctx, ref);
        const exits = await Trapper.client(ctx, pid).call.exits_();
        return { exits, starter, terminated: await ctx.receive(isTerminated, 0), alive: node.isAlive(pid) };
      });
      expect(got.exits.map((m) => [String(m.from), m.reason])).toEqual([
        [String(got.starter), 'shutdown'],
        [String(got.starter), 'normal'],
      ]);
      expect(got.terminated).toBe(TIMEOUT);
      expect(got.alive).toBe(true);
    });

    it('hands an exit signal from the node to handleInfo when started from outside', async () => {
      const got = await node.run(async (ctx) => {
        const pid = await Trapper.start(node, ctx.self);
        node.exit(pid, 'shutdown');
        return { exits: await Trapper.client(ctx, pid).call.exits_(), terminated: await ctx.receive(isTerminated, 0) };
      });
      expect(got.exits.map((m) => m.reason)).toEqual(['shutdown']);
      expect(got.terminated).toBe(TIMEOUT);
    });

    it('takes the parent given to start: its exit signal runs terminate, another’s is an info', async () => {
      const got = await node.run(async (ctx) => {
        const parent = ctx.spawn(async (p: ProcessContext) => {
          p.exit((await p.receive()) as Pid, 'shutdown');
          await p.receive((m) => m === 'never');
        });
        const pid = await Trapper.start(node, ctx.self, { parent });
        ctx.exit(pid, 'from_test'); // not its parent: an info
        const infos = (await Trapper.client(ctx, pid).call.exits_()).map((m) => m.reason);
        const ref = ctx.monitor(pid);
        ctx.send(parent, pid);
        return { infos, term: await ctx.receive(isTerminated), reason: await down(ctx, ref) };
      });
      expect(got.infos).toEqual(['from_test']);
      expect(got.term.terminated).toBe('shutdown');
      expect(got.reason).toBe('shutdown');
    });

    it('refuses a parent that is not a pid, or one given to startLink', async () => {
      await node.run(async (ctx) => {
        await expect(Trapper.start(ctx, ctx.self, { parent: 'someone' as never })).rejects.toThrow(/start: parent must be a pid, got someone/);
        await expect(Trapper.startLink(ctx, ctx.self, { parent: ctx.self })).rejects.toThrow(/startLink: the parent is the caller/);
      });
    });

    it('terminates on an exit signal from itself, as OTP (it is its own parent)', async () => {
      const got = await node.run(async (ctx) => {
        const pid = await Trapper.start(ctx, ctx.self);
        const ref = ctx.monitor(pid);
        Trapper.client(ctx, pid).cast.exitSelf('shutdown');
        return { term: await ctx.receive(isTerminated), reason: await down(ctx, ref) };
      });
      expect(got.term.terminated).toBe('shutdown');
      expect(got.reason).toBe('shutdown');
    });
  });

  it('does not call terminate on kill, nor on an exit signal when not trapping', async () => {
    const got = await node.run(async (ctx) => {
      const killed = await Lifecycle.start(ctx, { observer: ctx.self, trap: true });
      const plain = await Lifecycle.start(ctx, { observer: ctx.self });
      const k = ctx.monitor(killed);
      const p = ctx.monitor(plain);
      ctx.exit(killed, 'kill');
      ctx.exit(plain, 'shutdown');
      return { k: await down(ctx, k), p: await down(ctx, p), mailbox: await ctx.receive(undefined, 0) };
    });
    expect(got.k).toBe('killed');
    expect(got.p).toBe('shutdown');
    expect(typeof got.mailbox).toBe('symbol'); // TIMEOUT: no terminate message
  });

  it('stops a server with stopServer, running terminate', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Lifecycle.start(ctx, { observer: ctx.self }, { name: 'stoppable' });
      await stopServer(ctx, 'stoppable', 'shutdown');
      const term = await ctx.receive(isTerminated);
      const again = await stopServer(ctx, pid).catch((e: unknown) => e);
      return { term, named: node.whereis('stoppable'), again };
    });
    expect(got.term.terminated).toBe('shutdown');
    expect(got.named).toBeUndefined();
    expect(got.again).toBeInstanceOf(CallExitError);
  });

  it('fails stopServer with the real exit reason when terminate throws, with one crash report', async () => {
    class BadTerminate extends GenServer {
      override terminate(reason: ExitReason): unknown {
        if (reason === 'async') return Promise.reject(new Error('async terminate failed'));
        throw new Error('terminate failed');
      }
    }
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx) => {
        const sync = await BadTerminate.start(ctx);
        const async_ = await BadTerminate.start(ctx);
        const refs = [ctx.monitor(sync), ctx.monitor(async_)];
        const errors = [await stopServer(ctx, sync).catch((e: unknown) => e), await stopServer(ctx, async_, 'async').catch((e: unknown) => e)];
        return { errors, downs: [await down(ctx, refs[0]!), await down(ctx, refs[1]!)] };
      });
      expect(got.errors[0]).toBeInstanceOf(CallExitError);
      expect(got.errors[1]).toBeInstanceOf(CallExitError);
      expect(((got.errors[0] as CallExitError).reason as Error).message).toBe('terminate failed');
      expect(((got.errors[1] as CallExitError).reason as Error).message).toBe('async terminate failed');
      expect(got.downs.map((r) => (r as Error).message)).toEqual(['terminate failed', 'async terminate failed']);
      expect(logs.records.filter((r) => r.level === 'ERROR')).toHaveLength(2);
    } finally {
      logs.restore();
    }
  });

  it('writes one crash report for an abnormal end, with name, last message, state and reason', async () => {
    const logs = captureLogs();
    try {
      await node.run(async (ctx) => {
        const pid = await Lifecycle.start(ctx, { observer: ctx.self }, { name: 'crashy' });
        Lifecycle.client(ctx, pid).cast.crash();
        await downReason(ctx, pid);
      });
      const errors = logs.records.filter((r) => r.level === 'ERROR');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.logger).toBe('gen_server');
      expect(errors[0]!.data).toMatchObject({ server: 'crashy', module: 'Lifecycle', lastMessage: 'cast crash', reason: 'Error: cast crash' });
      expect(String(errors[0]!.data['state'])).toContain('"events":["init"]');
    } finally {
      logs.restore();
    }
  });

  it("shows formatState's answer as the state in the crash report, or why it failed", async () => {
    class Secretive extends GenServer<{ cast: 'crash' }> {
      secret = 'hunter2';
      @Cast() crash(): void {
        throw new Error('oops');
      }
      override formatState(): unknown {
        return { secret: '<redacted>' };
      }
    }
    class Broken extends Secretive {
      override formatState(): unknown {
        throw new Error('cannot format');
      }
    }
    const logs = captureLogs();
    try {
      await node.run(async (ctx) => {
        for (const cls of [Secretive, Broken]) {
          const pid = await cls.start(ctx);
          cls.client(ctx, pid).cast.crash();
          await downReason(ctx, pid);
        }
      });
      const states = logs.records.filter((r) => r.level === 'ERROR').map((r) => String(r.data['state']));
      expect(states).toHaveLength(2);
      expect(states[0]).toContain('<redacted>');
      expect(states[0]).not.toContain('hunter2');
      expect(states[1]).toBe('<formatState failed: Error: cannot format>');
    } finally {
      logs.restore();
    }
  });

  it('writes no report for normal and shutdown ends', async () => {
    const logs = captureLogs();
    try {
      await node.run(async (ctx) => {
        for (const reason of ['normal', 'shutdown', { shutdown: 'x' }] as const) {
          const pid = await Lifecycle.start(ctx, { observer: ctx.self });
          Lifecycle.client(ctx, pid).cast.stop(reason);
          await downReason(ctx, pid);
        }
      });
      expect(logs.records).toEqual([]);
    } finally {
      logs.restore();
    }
  });

  it('writes one report when init fails', async () => {
    const logs = captureLogs();
    try {
      class Bad extends GenServer {
        override init(): void {
          throw new Error('no config');
        }
      }
      await expect(Bad.start(node)).rejects.toThrow(/no config/);
      expect(logs.records.filter((r) => r.level === 'ERROR')).toHaveLength(1);
    } finally {
      logs.restore();
    }
  });
});

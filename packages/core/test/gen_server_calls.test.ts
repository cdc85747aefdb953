import {
  Call,
  CallExitError,
  callServer,
  CallingSelfError,
  CallTimeoutError,
  Cast,
  stopServer,
  formatTerm,
  GenServer,
  ManualClock,
  type From,
  type NoReply,
  type Pid,
} from '@grove/core';
import { captureLogs, downReason, node, useNode } from './helpers';

/** A queue whose `pop` waits (deferred reply) until something is pushed. */
class Queue extends GenServer<{ call: 'pop'; cast: 'push' }> {
  private items: number[] = [];
  private waiting: From[] = [];
  @Call() pop(): number | NoReply {
    const item = this.items.shift();
    if (item !== undefined) return item;
    this.waiting.push(this.from);
    return this.noReply();
  }
  @Cast() push(n: number): void {
    const w = this.waiting.shift();
    if (w !== undefined) this.reply(w, n);
    else this.items.push(n);
  }
}

/** Holds calls until released; tells `watcher` when a call arrived. */
class Slow extends GenServer<{ call: 'hold' | 'ping'; cast: 'release' }> {
  private held: From[] = [];
  private watcher!: Pid;
  override init(watcher: Pid) {
    this.watcher = watcher;
  }
  @Call() hold() {
    this.held.push(this.from);
    this.ctx.send(this.watcher, 'holding');
    return this.noReply();
  }
  @Cast() release(): void {
    for (const f of this.held.splice(0)) this.reply(f, 'late');
  }
  @Call() ping(): string {
    return 'pong';
  }
}

/** Calls itself from its own handlers, by pid, by name, through its typed client, and stops itself. */
class SelfCaller extends GenServer<{ call: 'viaPid' | 'viaName' | 'viaClient' | 'viaStop' | 'ping' }> {
  @Call() viaPid(): unknown {
    return callServer(this.ctx, this.self, 'ping').catch((e: unknown) => e);
  }
  @Call() viaName(): unknown {
    return callServer(this.ctx, 'self-caller', 'ping').catch((e: unknown) => e);
  }
  @Call() viaClient(): unknown {
    return SelfCaller.client(this.ctx, this.self).call.ping().catch((e: unknown) => e);
  }
  @Call() viaStop(): unknown {
    return stopServer(this.ctx, this.self).catch((e: unknown) => e);
  }
  @Call() ping(): string {
    return 'pong';
  }
}

class Stopper extends GenServer<{ call: 'quit' | 'quitSilently' | 'crash' | 'crashLater' | 'exitFromHandler' }> {
  @Call() quit() {
    return this.stopWith('normal', 'bye');
  }
  @Call() quitSilently() {
    return this.stopWith({ shutdown: 'asked' });
  }
  @Call() crash(): number {
    throw new Error('kaboom');
  }
  @Call() async crashLater(): Promise<number> {
    await Promise.resolve();
    throw new Error('async kaboom');
  }
  @Call() exitFromHandler(): number {
    return this.ctx.exit('gave_up');
  }
}

describe('GenServer calls', () => {
  useNode();

  it('fails a call to a dead server with CallExitError noproc', async () => {
    const err = await node.run(async (ctx) => {
      const pid = await Stopper.start(ctx);
      const ref = downReason(ctx, pid);
      ctx.exit(pid, 'kill');
      await ref;
      return callServer(ctx, pid, 'quit').catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(CallExitError);
    expect((err as CallExitError).noproc).toBe(true);
  });

  it('fails a call to an unregistered name with CallExitError noproc', async () => {
    const err = await callServer(node, 'nobody', 'hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallExitError);
    expect((err as CallExitError).reason).toBe('noproc');
  });

  it('prints the server and the request as terms in its errors, not as their elements joined by commas', async () => {
    const err = await callServer(node, ['kv', node.name], ['get', 'k']).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`call to [ 'kv', '${node.name}' ]: no such process (noproc); request [ 'get', 'k' ]`);
    expect(formatTerm({ key: ['a', 2n, new Map([['m', 1]])] })).toBe("{ key: [ 'a', 2n, Map(1) { 'm' => 1 } ] }");
    expect(formatTerm('a string stays bare')).toBe('a string stays bare');
  });

  it('fails the call with the reason when the server crashes while handling it', async () => {
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx) => {
        const c = Stopper.client(ctx, await Stopper.start(ctx));
        const sync = await c.call.crash().catch((e: unknown) => e);
        const c2 = Stopper.client(ctx, await Stopper.start(ctx));
        const async_ = await c2.call.crashLater().catch((e: unknown) => e);
        const c3 = Stopper.client(ctx, await Stopper.start(ctx));
        const exited = await c3.call.exitFromHandler().catch((e: unknown) => e);
        return { sync, async_, exited };
      });
      expect(got.sync).toBeInstanceOf(CallExitError);
      expect(((got.sync as CallExitError).reason as Error).message).toBe('kaboom');
      expect(((got.async_ as CallExitError).reason as Error).message).toBe('async kaboom');
      expect((got.exited as CallExitError).reason).toBe('gave_up');
    } finally {
      logs.restore();
    }
  });

  it('lets a handler defer its reply and reply later', async () => {
    const got = await node.run(async (ctx) => {
      const q = Queue.client(ctx, await Queue.start(ctx));
      const first = q.call.pop();
      const second = q.call.pop();
      q.cast.push(1);
      q.cast.push(2);
      q.cast.push(3);
      return [await first, await second, await q.call.pop()];
    });
    expect(got).toEqual([1, 2, 3]);
  });

  it('stops from a call after replying', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Stopper.start(ctx);
      const reason = downReason(ctx, pid);
      const reply = await Stopper.client(ctx, pid).call.quit();
      return { reply, reason: await reason };
    });
    expect(got).toEqual({ reply: 'bye', reason: 'normal' });
  });

  it('stops from a call without replying: the caller sees the exit reason', async () => {
    const err = await node.run(async (ctx) => {
      const pid = await Stopper.start(ctx);
      return Stopper.client(ctx, pid).call.quitSilently().catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(CallExitError);
    expect((err as CallExitError).reason).toEqual({ shutdown: 'asked' });
  });

  it('fails a call to itself at once with CallingSelfError, and goes on', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await SelfCaller.start(ctx, undefined, { name: 'self-caller' });
      const c = SelfCaller.client(ctx, pid, { timeoutMs: 'infinity' });
      const errors = [await c.call.viaPid(), await c.call.viaName(), await c.call.viaClient(), await c.call.viaStop()];
      const own = await callServer(ctx, ctx.self, 'hello').catch((e: unknown) => e);
      return { pid, errors, own, after: await c.call.ping() };
    });
    for (const e of [...got.errors, got.own]) {
      expect(e).toBeInstanceOf(CallingSelfError);
      expect((e as CallingSelfError).code).toBe('calling_self');
    }
    expect((got.errors[0] as CallingSelfError).server).toEqual(got.pid);
    expect((got.errors[1] as CallingSelfError).message).toMatch(/self-caller.*calls itself.*ping/);
    expect(got.after).toBe('pong');
  });

  it('serves calls from many callers at once', async () => {
    const pid = await Queue.start(node);
    const c = Queue.client(node, pid);
    const pops = Array.from({ length: 50 }, () => c.call.pop());
    for (let i = 0; i < 50; i++) c.cast.push(i);
    await expect(Promise.all(pops)).resolves.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('GenServer call timeouts', () => {
  let clock: ManualClock;
  useNode(() => ({ clock: (clock = new ManualClock()) }));

  it("times a typed client's calls out after its timeoutMs, and after withTimeout's", async () => {
    const errs = await node.run(async (ctx) => {
      const c = Slow.client(ctx, await Slow.start(ctx, ctx.self), { timeoutMs: 200 });
      const first = c.call.hold().catch((e: unknown) => e);
      await ctx.receive((m) => m === 'holding');
      clock.advance(199);
      const second = c.withTimeout(50).call.hold().catch((e: unknown) => e);
      await ctx.receive((m) => m === 'holding');
      clock.advance(50);
      return [await first, await second];
    });
    expect(errs[0]).toBeInstanceOf(CallTimeoutError);
    expect(errs[1]).toBeInstanceOf(CallTimeoutError);
    expect(errs.map((e) => (e as CallTimeoutError).timeoutMs)).toEqual([200, 50]);
  });

  it('times out, drops the late reply, and the next call works', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Slow.start(ctx, ctx.self);
      const pending = callServer(ctx, pid, 'hold', 100).catch((e: unknown) => e);
      await ctx.receive((m) => m === 'holding');
      clock.advance(100);
      const err = await pending;
      Slow.client(ctx, pid).cast.release(); // the late reply is sent now...
      const next = await Slow.client(ctx, pid).call.ping(); // ...and handled before this call
      return { err, next, mailbox: ctx.mailboxLength };
    });
    expect(got.err).toBeInstanceOf(CallTimeoutError);
    expect((got.err as CallTimeoutError).timeoutMs).toBe(100);
    expect(got.next).toBe('pong');
    expect(got.mailbox).toBe(0);
  });
});

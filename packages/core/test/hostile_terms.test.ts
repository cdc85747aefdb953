import { BadArgError, Call, CallExitError, callServer, formatTerm, ErrorReply, GenCall, GenServer, isDownMessage, type DownMessage, type ProcessContext } from '@grove/core';
import { captureLogs, node, useNode } from './helpers';

/** What JSON.parse('{"toString":"x"}') returns: String() of it throws. */
const hostile = (): unknown => JSON.parse('{"toString":"x"}');

class Crasher extends GenServer<{ call: 'crash' | 'ping' }> {
  @Call() crash(): never {
    return this.ctx.exit(hostile() as never);
  }
  @Call() ping(): string {
    return 'pong';
  }
}

describe('formatTerm on hostile values', () => {
  it('never throws and stays bounded', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const getter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter'); } });
    const proxy = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
    const badError = new Error('x');
    Object.defineProperty(badError, 'message', { get: () => { throw new Error('msg'); } });
    const huge = { s: 'x'.repeat(1e6), a: Array.from({ length: 1e5 }, (_, i) => i) };
    for (const v of [hostile(), { toString: 1, valueOf: null }, cyclic, getter, proxy, badError, huge, Object.create(null), Symbol('s'), 'y'.repeat(10_000)]) {
      const s = formatTerm(v);
      expect(typeof s).toBe('string');
      expect(s.length).toBeLessThanOrEqual(201);
    }
  });
});

describe('hostile exit reasons', () => {
  useNode();

  it('a process exiting with { toString: "x" } is seen in a DOWN, and the node goes on', async () => {
    const reason = await node.run(async (ctx: ProcessContext) => {
      const [, ref] = ctx.spawnMonitor((c) => c.exit(hostile() as never));
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(reason).toEqual({ toString: 'x' });
    await expect(node.run(() => 'alive')).resolves.toBe('alive');
  });

  it('a process rejecting with { toString: "x" } exits with { nocatch }, and the node goes on', async () => {
    const reason = await node.run(async (ctx: ProcessContext) => {
      const [, ref] = ctx.spawnMonitor(async () => {
        await null;
        throw hostile();
      });
      return ((await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))) as DownMessage).reason;
    });
    expect(reason).toEqual({ nocatch: { toString: 'x' } });
    await expect(node.run(() => 'alive')).resolves.toBe('alive');
  });

  it('a call to a server that dies with { toString: "x" } ends with CallExitError', async () => {
    {
      const err = await node.run(async (ctx: ProcessContext) => {
        const pid = await Crasher.start(ctx);
        return callServer(ctx, pid, 'crash', 1000).then(() => null, (e: unknown) => e);
      });
      expect(err).toBeInstanceOf(CallExitError);
      expect((err as CallExitError).reason).toEqual({ toString: 'x' });
      await expect(node.run(() => 'alive')).resolves.toBe('alive');
    }
  });
});

describe('forged calls', () => {
  useNode();

  it('a $gen_call with no pid to answer is dropped with a warning; the server goes on', async () => {
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx: ProcessContext) => {
        const pid = await Crasher.start(ctx);
        ctx.send(pid, new GenCall({ pid: null, tag: 1 } as never, 'ping'));
        ctx.send(pid, new GenCall({ pid: 'nobody', tag: 'x' } as never, 'ping'));
        ctx.send(pid, new GenCall({} as never, 'ping'));
        return callServer(ctx, pid, 'ping');
      });
      expect(got).toBe('pong');
      expect(logs.records.some((r) => r.level === 'WARN' && /forged|cannot be answered|no caller/.test(r.message))).toBe(true);
    } finally {
      logs.restore();
    }
  });
});

describe('receive(pred, 0) in a loop', () => {
  useNode();

  it('yields to the event loop: a setTimeout fires while it polls', async () => {
    const polls = await node.run(async (ctx: ProcessContext) => {
      let fired = false;
      setTimeout(() => (fired = true), 1);
      let n = 0;
      while (!fired) {
        await ctx.receive((m) => m === 'never', 0);
        n++;
      }
      return n;
    });
    expect(polls).toBeGreaterThan(0);
  });
});

class Treacherous extends ErrorReply {
  toError(): Error {
    throw { toString: 'x' };
  }
}

class Replier extends GenServer<{ call: 'bad' | 'down' }> {
  @Call() bad(): unknown {
    return new Treacherous();
  }
  @Call() down(): never {
    const trap = (): never => {
      throw new Error('trap');
    };
    const reason = new Proxy({}, { get: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, has: trap });
    return this.ctx.exit(reason as never);
  }
}

describe('crafted replies and DOWN reasons', () => {
  // Uncopied, as in production: the reply object reaches the caller as the server made it.
  useNode(() => ({ checkMessages: false }));

  it('a reply whose toError throws still ends the call with an error', async () => {
    const err = await node.run(async (ctx: ProcessContext) => {
      const pid = await Replier.start(ctx);
      return callServer(ctx, pid, 'bad', 1000).then(() => null, (e: unknown) => e);
    });
    expect(err).toBeInstanceOf(Error);
  });

  it('a DOWN reason that is a throwing Proxy ends the call with CallExitError', async () => {
    const err = await node.run(async (ctx: ProcessContext) => {
      const pid = await Replier.start(ctx);
      return callServer(ctx, pid, 'down', 1000).then(() => null, (e: unknown) => e);
    });
    expect(err).toBeInstanceOf(CallExitError);
  });
});

describe('hostile arguments at the boundary', () => {
  useNode();

  it('send, link, monitor, call and receive reject { toString: "x" } with BadArgError', async () => {
    const errs = await node.run(async (ctx: ProcessContext) => {
      const out: unknown[] = [];
      const h = hostile();
      for (const f of [() => ctx.send(h as never, 'm'), () => ctx.link(h as never), () => ctx.monitor(h as never), () => ctx.receive(undefined, h as never), () => ctx.sendAfter(ctx.self, 'm', h as never)]) {
        try {
          f();
        } catch (e) {
          out.push(e);
        }
      }
      out.push(await callServer(ctx, h as never, 'ping').catch((e: unknown) => e));
      return out;
    });
    expect(errs).toHaveLength(6);
    for (const e of errs) expect(e).toBeInstanceOf(BadArgError);
  });
});

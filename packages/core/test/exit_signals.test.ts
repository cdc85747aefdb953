import { isDownMessage, isExitMessage, NoProcError, type DownMessage, type ExitMessage, type Pid, type ProcessContext } from '@grove/core';
import { downReason, node, useNode } from './helpers';

/** A process that answers `{ping: from}` with `'pong'` and otherwise waits forever. */
function pinger(trap = false) {
  return async (ctx: ProcessContext): Promise<void> => {
    if (trap) ctx.trapExit(true);
    for (;;) {
      const m = (await ctx.receive()) as { ping?: Pid; forwardTo?: Pid };
      if (m.ping !== undefined) ctx.send(m.ping, 'pong');
    }
  };
}

/** True when `pid` still runs: it answers a ping sent after every signal queued so far. */
async function answersPing(ctx: ProcessContext, pid: Pid): Promise<boolean> {
  const ref = ctx.monitor(pid);
  ctx.send(pid, { ping: ctx.self });
  const m = await ctx.receive((x) => x === 'pong' || isDownMessage(x, ref));
  ctx.demonitor(ref, { flush: true });
  return m === 'pong';
}

/**
 * Spawns a linked pair: `victim` (trapping or not, forwarding EXIT messages to the
 * test process), then a process linked to it that ends with `end` once sent `'go'`.
 * Resolves once the link exists.
 */
async function linkedPair(ctx: ProcessContext, trap: boolean, end: (c: ProcessContext) => unknown): Promise<{ victim: Pid; dying: Pid }> {
  const test = ctx.self;
  const victim = ctx.spawn(async (v) => {
    v.trapExit(trap);
    for (;;) {
      const m = await v.receive();
      if (isExitMessage(m)) v.send(test, { forwarded: m });
      else if ((m as { ping?: Pid }).ping !== undefined) v.send((m as { ping: Pid }).ping, 'pong');
    }
  });
  const dying = ctx.spawn(async (d) => {
    d.link(victim);
    d.send(test, { linked: d.self });
    await d.receive((m) => m === 'go');
    return end(d);
  });
  await ctx.receive((m) => dying.equals((m as { linked?: unknown }).linked));
  return { victim, dying };
}

class Boom extends Error {}

const abnormal: [string, () => unknown][] = [
  ['shutdown', () => 'shutdown'],
  ['{ shutdown: x }', () => ({ shutdown: 'maintenance' })],
  ['an arbitrary term', () => ({ code: 42, why: ['disk', 'full'] })],
  ['a plain string', () => 'my_reason'],
];

describe('exit signals through links', () => {
  useNode();

  describe.each(abnormal)('with reason %s', (_label, reason) => {
    it('kills a linked process that does not trap exits, with the same reason', async () => {
      const r = await node.run(async (ctx) => {
        const { victim, dying } = await linkedPair(ctx, false, (d) => d.exit(reason()));
        const ref = ctx.monitor(victim);
        ctx.send(dying, 'go');
        const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
        return down.reason;
      });
      expect(r).toEqual(reason());
    });

    it('reaches a trapping linked process as an EXIT message, which keeps running', async () => {
      const [exit, alive] = await node.run(async (ctx) => {
        const { victim, dying } = await linkedPair(ctx, true, (d) => d.exit(reason()));
        ctx.send(dying, 'go');
        const m = (await ctx.receive()) as { forwarded: ExitMessage };
        return [{ ...m.forwarded, fromDying: m.forwarded.from.equals(dying) }, await answersPing(ctx, victim)];
      });
      expect(exit).toEqual({ type: 'EXIT', from: expect.anything(), reason: reason(), fromDying: true });
      expect(alive).toBe(true);
    });
  });

  it('does not kill a non-trapping linked process when the other exits normal', async () => {
    const alive = await node.run(async (ctx) => {
      const { victim, dying } = await linkedPair(ctx, false, () => 'done');
      const ref = ctx.monitor(dying);
      ctx.send(dying, 'go');
      await ctx.receive((m) => isDownMessage(m, ref));
      return answersPing(ctx, victim);
    });
    expect(alive).toBe(true);
  });

  it('gives a trapping linked process an EXIT with reason normal', async () => {
    const exit = await node.run(async (ctx) => {
      const { dying } = await linkedPair(ctx, true, () => 'done');
      ctx.send(dying, 'go');
      return ((await ctx.receive()) as { forwarded: ExitMessage }).forwarded.reason;
    });
    expect(exit).toBe('normal');
  });

  it('propagates a thrown Error, stack included, to linked processes and monitors', async () => {
    const [linkedReason, trappedReason] = await node.run(async (ctx) => {
      const plain = await linkedPair(ctx, false, () => {
        throw new Boom('linked crash');
      });
      const ref = ctx.monitor(plain.victim);
      ctx.send(plain.dying, 'go');
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      const trapping = await linkedPair(ctx, true, async () => {
        await null;
        throw new Boom('async crash');
      });
      ctx.send(trapping.dying, 'go');
      const m = (await ctx.receive()) as { forwarded: ExitMessage };
      return [down.reason, m.forwarded.reason];
    });
    expect(linkedReason).toBeInstanceOf(Boom);
    expect((linkedReason as Error).message).toBe('linked crash');
    expect((linkedReason as Error).stack).toContain('exit_signals.test.ts');
    expect(trappedReason).toBeInstanceOf(Boom);
    expect((trappedReason as Error).stack).toContain('async crash');
  });

  it('turns a process exiting with kill into killed for its links, trappable there', async () => {
    const [trapped, plainReason] = await node.run(async (ctx) => {
      const t = await linkedPair(ctx, true, (d) => d.exit('kill'));
      ctx.send(t.dying, 'go');
      const m = (await ctx.receive()) as { forwarded: ExitMessage };
      const p = await linkedPair(ctx, false, (d) => d.exit('kill'));
      const ref = ctx.monitor(p.victim);
      ctx.send(p.dying, 'go');
      const down = await ctx.receive((x): x is DownMessage => isDownMessage(x, ref));
      return [m.forwarded.reason, down.reason];
    });
    expect(trapped).toBe('killed');
    expect(plainReason).toBe('killed');
  });
});

describe('link and unlink', () => {
  useNode();

  it('throws NoProcError when a non-trapping process links to a dead pid', async () => {
    const err = await node.run(async (ctx) => {
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref));
      try {
        ctx.link(dead);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(NoProcError);
  });

  it('gives a trapping process an EXIT noproc when it links to a dead pid', async () => {
    const exit = await node.run(async (ctx) => {
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref));
      ctx.trapExit(true);
      ctx.link(dead);
      return (await ctx.receive(isExitMessage)) as ExitMessage;
    });
    expect(exit.reason).toBe('noproc');
  });

  it('stops exits from propagating once unlinked', async () => {
    const alive = await node.run(async (ctx) => {
      const { victim, dying } = await linkedPair(ctx, false, (d) => {
        d.unlink(d.node.processInfo(d.self)!.links[0]!);
        return d.exit('crash');
      });
      const ref = ctx.monitor(dying);
      ctx.send(dying, 'go');
      await ctx.receive((m) => isDownMessage(m, ref));
      return answersPing(ctx, victim);
    });
    expect(alive).toBe(true);
  });

  it('ignores a link to itself', async () => {
    const links = await node.run(async (ctx) => {
      ctx.link(ctx.self);
      return node.processInfo(ctx.self)!.links;
    });
    expect(links).toEqual([]);
  });
});

describe('exit/2 (an exit signal sent to a pid)', () => {
  useNode();

  it('kills a trapping process with kill: it exits killed, untrappably', async () => {
    const reason = await node.run(async (ctx) => {
      const target = ctx.spawn(pinger(true));
      expect(await answersPing(ctx, target)).toBe(true);
      const ref = ctx.monitor(target);
      ctx.exit(target, 'kill');
      return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
    });
    expect(reason).toBe('killed');
  });

  it('tells the links of a killed process killed (EXIT when trapping, death otherwise)', async () => {
    const [exitReason, plainReason] = await node.run(async (ctx) => {
      const { victim, dying } = await linkedPair(ctx, true, () => 'never');
      const plain = await linkedPair(ctx, false, () => 'never');
      const ref = ctx.monitor(plain.victim);
      ctx.exit(dying, 'kill');
      ctx.exit(plain.dying, 'kill');
      const m = (await ctx.receive((x) => (x as { forwarded?: unknown }).forwarded !== undefined)) as { forwarded: ExitMessage };
      const down = await ctx.receive((x): x is DownMessage => isDownMessage(x, ref));
      expect(await answersPing(ctx, victim)).toBe(true);
      return [m.forwarded.reason, down.reason];
    });
    expect(exitReason).toBe('killed');
    expect(plainReason).toBe('killed');
  });

  it('is ignored by a non-trapping process when the reason is normal', async () => {
    const alive = await node.run(async (ctx) => {
      const target = ctx.spawn(pinger(false));
      ctx.exit(target, 'normal');
      return answersPing(ctx, target);
    });
    expect(alive).toBe(true);
  });

  it('reaches a trapping process as an EXIT message when the reason is normal', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      const target = ctx.spawn(async (t) => {
        t.trapExit(true);
        t.send(test, 'trapping');
        t.send(test, await t.receive());
      });
      await ctx.receive((m) => m === 'trapping');
      ctx.exit(target, 'normal');
      return (await ctx.receive(isExitMessage)) as ExitMessage;
    });
    expect(got.reason).toBe('normal');
  });

  it('kills a non-trapping process with any other reason, which monitors then see', async () => {
    const reason = await node.run(async (ctx) => {
      const target = ctx.spawn(pinger(false));
      const ref = ctx.monitor(target);
      ctx.exit(target, { shutdown: 'by test' });
      return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
    });
    expect(reason).toEqual({ shutdown: 'by test' });
  });

  it('ends a process that sends itself normal (exit(self(), normal))', async () => {
    const reason = await node.run(async (ctx) => {
      const target = ctx.spawn(async (t) => {
        t.exit(t.self, 'normal');
        await t.receive();
      });
      return downReason(ctx, target);
    });
    expect(reason).toBe('normal');
  });

  it('can be sent from outside any process with node.exit', async () => {
    const reason = await node.run(async (ctx) => {
      const target = ctx.spawn(pinger(true));
      const ref = ctx.monitor(target);
      node.exit(target, 'kill');
      return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
    });
    expect(reason).toBe('killed');
  });
});

describe('a long chain of linked processes', () => {
  useNode();

  it('dies completely, without stack overflow, when one end of 10,000 links crashes', async () => {
    const length = 10_000;
    const before = node.processCount;
    const reason = await node.run(async (ctx) => {
      const test = ctx.self;
      const link = (n: number) => async (c: ProcessContext): Promise<void> => {
        if (n > 1) c.spawnLink(link(n - 1));
        else c.send(test, { tail: c.self });
        await c.receive((m) => m === 'crash');
        throw new Boom('tail crashed');
      };
      const head = ctx.spawn(link(length));
      const ref = ctx.monitor(head);
      const { tail } = (await ctx.receive((m) => (m as { tail?: Pid }).tail !== undefined)) as { tail: Pid };
      expect(node.processCount).toBeGreaterThanOrEqual(before + length);
      ctx.send(tail, 'crash');
      return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
    });
    expect(reason).toBeInstanceOf(Boom);
    expect(node.processCount).toBe(before);
  });
});

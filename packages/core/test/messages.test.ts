import { checkTerm, Node, NotCopyableError, registerClass, TIMEOUT } from '@grove/core';
import { node, useNode } from './helpers';

class Unregistered {
  constructor(readonly value: number) {}
}

class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
  format(): string {
    return `${this.amount} ${this.currency}`;
  }
}
registerClass(Money, { name: 'test.messages.Money' });

/** Sends `msg` to self from a process; resolves with the error thrown at the sender, or what arrived. */
async function trySend(node: Node, msg: unknown): Promise<{ error?: unknown; got?: unknown }> {
  return node.run(async (ctx) => {
    try {
      ctx.send(ctx.self, msg);
    } catch (error) {
      return { error, got: await ctx.receive(undefined, 0) };
    }
    return { got: await ctx.receive(undefined, 0) };
  });
}

describe('checkMessages (on under jest)', () => {
  useNode();

  it('is on by default under jest', () => {
    expect(node.checkMessages).toBe(true);
  });

  it('rejects a function at the sender with NotCopyableError naming the path; nothing is delivered', async () => {
    const { error, got } = await trySend(node, { reply: () => 42 });
    expect(error).toBeInstanceOf(NotCopyableError);
    expect(error).toMatchObject({ code: 'not_copyable', path: '$.reply' });
    expect((error as Error).message).toContain('function');
    expect(got).toBe(TIMEOUT);
  });

  it('rejects an instance of an unregistered class, naming the class', async () => {
    const { error } = await trySend(node, [1, new Unregistered(2)]);
    expect(error).toBeInstanceOf(NotCopyableError);
    expect(error).toMatchObject({ path: '$[1]' });
    expect((error as Error).message).toContain('Unregistered');
    expect((error as Error).message).toContain('registerClass');
  });

  it('rejects a cyclic structure', async () => {
    const loop: { self?: unknown; n: number } = { n: 1 };
    loop.self = loop;
    const { error } = await trySend(node, { loop });
    expect(error).toBeInstanceOf(NotCopyableError);
    expect((error as Error).message).toContain('cyclic');
  });

  it('rejects a symbol', async () => {
    const { error } = await trySend(node, { s: Symbol('x') });
    expect(error).toBeInstanceOf(NotCopyableError);
  });

  it('accepts an instance of a registered class, which arrives with its prototype', async () => {
    const { error, got } = await trySend(node, { price: new Money(3, 'EUR') });
    expect(error).toBeUndefined();
    expect((got as { price: Money }).price).toBeInstanceOf(Money);
    expect((got as { price: Money }).price.format()).toBe('3 EUR');
  });

  it('accepts every copyable kind of value', async () => {
    const msg = {
      u: undefined,
      n: null,
      b: true,
      nums: [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY],
      big: 10n ** 30n,
      s: 'text',
      map: new Map<unknown, unknown>([['k', new Set([1, 2])]]),
      date: new Date(0),
      bytes: new Uint8Array([1, 2, 3]),
      buf: Buffer.from('abc'),
      err: new Error('carried', { cause: { why: 'test' } }),
      shared: [] as unknown[],
    };
    // The same object twice (not a cycle) is fine.
    const shared = { x: 1 };
    msg.shared.push(shared, shared);
    const { error, got } = await trySend(node, msg);
    expect(error).toBeUndefined();
    expect(got).toEqual(msg);
  });

  it('rejects an uncopyable message given to sendAfter when the timer is set', async () => {
    const err = await node.run(async (ctx) => {
      try {
        ctx.sendAfter(ctx.self, () => 'later', 10);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(NotCopyableError);
  });

  it('rejects an uncopyable message sent from outside any process', () => {
    const pid = node.spawn((ctx) => ctx.receive());
    expect(() => node.send(pid, { f: () => 1 })).toThrow(NotCopyableError);
  });

  it('can be turned off: then anything is passed by reference', async () => {
    const loose = new Node({ checkMessages: false });
    try {
      const fn = (): number => 1;
      const { error, got } = await trySend(loose, { fn });
      expect(error).toBeUndefined();
      expect((got as { fn: unknown }).fn).toBe(fn);
    } finally {
      loose.halt();
    }
  });

  it('is what checkTerm does on its own', () => {
    expect(() => checkTerm({ ok: [1, 'two', new Money(1, 'USD')] })).not.toThrow();
    expect(() => checkTerm(new Unregistered(1))).toThrow(NotCopyableError);
  });
});

import { NotCopyableError, Ref, registerClass, type Node, type Pid } from '@grove/core';
import { startDistributed, type DistNode } from '@grove/distribution';
import { messageCopier } from '@grove/distribution/internal';

// A distributed node under `checkMessages` copies every local message through the wire codec.
describe('messageCopier', () => {
  let dist: DistNode;
  let node: Node;

  beforeEach(async () => {
    dist = await startDistributed({ name: 'copier@h', transport: 'memory', nodeOptions: { checkMessages: true } });
    node = dist.node;
  });

  afterEach(() => dist.stop());

  it('delivers a deep copy of a local message, as the wire would', async () => {
    const sent = { list: [1, { n: 2 }], bytes: new Uint8Array([1, 2]) };
    const got = await node.run(async (ctx) => {
      ctx.send(ctx.self, sent);
      return ctx.receive();
    });
    expect(got).toEqual({ list: [1, { n: 2 }], bytes: Buffer.from([1, 2]) });
    expect(got).not.toBe(sent);
    expect((got as typeof sent).list).not.toBe(sent.list);
    expect(Buffer.isBuffer((got as typeof sent).bytes)).toBe(true);
  });

  it('keeps refs made by the node local after the copy, so monitors and calls still match', async () => {
    const got = await node.run(async (ctx) => {
      const ref = node.makeRef();
      ctx.send(ctx.self, { ref });
      const msg = (await ctx.receive()) as { ref: Ref };
      return { ref, copy: msg.ref };
    });
    expect(got.copy).not.toBe(got.ref);
    expect(got.copy.key).toBe(got.ref.key);
    expect(typeof got.copy.key).toBe('number');
  });

  it('lets a call and its reply go through the codec', async () => {
    const server = node.spawnLoop((msg, ctx) => {
      const { from, n } = msg as { from: Pid; n: number };
      ctx.send(from, { doubled: n * 2 });
    });
    const got = await node.run(async (ctx) => {
      ctx.send(server, { from: ctx.self, n: 21 });
      return ctx.receive();
    });
    expect(got).toEqual({ doubled: 42 });
  });

  it('refuses a message that cannot cross at the sender, naming the path', async () => {
    const err = await node.run(async (ctx) => {
      try {
        ctx.send(ctx.self, { cb: [() => 1] });
        return null;
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(NotCopyableError);
    expect((err as NotCopyableError).path).toBe('$.cb[0]');
  });

  it('copies correctly when a registered class copies another message while being copied', () => {
    const copy = messageCopier(node);
    class Nested {
      constructor(readonly inner: unknown) {}
    }
    registerClass(Nested, {
      name: 'test.copier.Nested',
      toTerm: (n) => copy({ wrapped: n.inner }),
      fromTerm: (t) => new Nested(copy(t)),
    });
    const out = copy([new Nested([1, 2]), 'after']) as [Nested, string];
    expect(out[0]).toBeInstanceOf(Nested);
    expect(out[0].inner).toEqual({ wrapped: [1, 2] });
    expect(out[1]).toBe('after');
    expect(copy({ again: node.makeRef() })).toEqual({ again: expect.any(Ref) });
  });
});

import { Node, TIMEOUT } from '@grove/core';

describe('a process', () => {
  it('receives selectively and leaves skipped messages in order', async () => {
    const node = new Node();
    const got = await node.run(async (ctx) => {
      ctx.send(ctx.self, 'a');
      ctx.send(ctx.self, 'b');
      ctx.send(ctx.self, 'c');
      const b = await ctx.receive((m): m is string => m === 'b');
      return [b, await ctx.receive(), await ctx.receive(), await ctx.receive(undefined, 0)];
    });
    expect(got).toEqual(['b', 'a', 'c', TIMEOUT]);
    node.halt();
  });
});

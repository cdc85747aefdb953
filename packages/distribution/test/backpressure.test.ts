import { stopTcpNodes, tcpNode } from './support/tcp_nodes';

afterEach(stopTcpNodes);

describe('reading from a peer while the scheduler is over budget', () => {
  it('pauses the socket until the next drain and still delivers every message once, in order', async () => {
    const sender = await tcpNode('bp_sender');
    // A tiny turn budget: the receiver is over budget after a few messages of every frame.
    const receiver = await tcpNode('bp_receiver', { nodeOptions: { scheduler: { turnBudget: 50 } } });
    const scheduler = receiver.node.scheduler;
    const afterNextDrain = scheduler.afterNextDrain.bind(scheduler);
    let holds = 0;
    scheduler.afterNextDrain = (fn) => {
      holds++;
      afterNextDrain(fn);
    };
    let next = 0;
    let outOfOrder = -1;
    const sink = receiver.node.spawnLoop((m: unknown, ctx) => {
      const msg = m as [string, unknown];
      if (msg[0] === 'msg') {
        if (msg[1] !== next && outOfOrder < 0) outOfOrder = next;
        next++;
      } else {
        ctx.send(msg[1] as never, ['count', next, outOfOrder]);
      }
    });
    receiver.node.register('bp_sink', sink);

    const N = 20_000;
    const reply = await sender.node.run(async (ctx) => {
      const dest: [string, string] = ['bp_sink', receiver.name];
      for (let i = 0; i < N; i++) {
        ctx.send(dest, ['msg', i]);
        if (i % 1000 === 999) await ctx.yield();
      }
      ctx.send(dest, ['count', ctx.self]);
      return ctx.receive((m) => Array.isArray(m) && m[0] === 'count', 30_000);
    });

    expect(reply).toEqual(['count', N, -1]);
    expect(holds).toBeGreaterThan(0);
  });
});

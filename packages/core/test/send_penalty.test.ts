/**
 * A producer cannot outrun its consumer for ever: a send to a process already a
 * budget of messages behind is charged twice to the sender (as Erlang's send penalty
 * did), so the producer's runs get shorter until the consumer catches up. Without it,
 * a producer whose run sends a little more than a consumer's run takes (here 2 × 1,024
 * against 2,000) grows the consumer's mailbox without bound.
 */
import { Node } from '@grove/core';

describe('send penalty', () => {
  it("keeps a consumer's backlog bounded under a producer that sends more per run than the consumer takes", async () => {
    const node = new Node();
    const N = 2_000_000;
    const SLICE = 1024;
    let received = 0;
    let maxBehind = 0;
    await new Promise<void>((resolve) => {
      const consumer = node.spawnLoop(() => {
        if (++received === N) resolve();
      });
      let sent = 0;
      const producer = node.spawnLoop((_more, ctx) => {
        maxBehind = Math.max(maxBehind, sent - received);
        const end = Math.min(N, sent + SLICE);
        for (; sent < end; sent++) ctx.send(consumer, sent);
        if (sent < N) ctx.send(ctx.self, 'more');
      });
      node.send(producer, 'more');
    });
    expect(received).toBe(N);
    // Bounded by a few budgets (2,000 each); without the penalty it grows past 40,000 here.
    expect(maxBehind).toBeLessThan(4 * node.scheduler.processBudget);
    node.halt();
  });
});

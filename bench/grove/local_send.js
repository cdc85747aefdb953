'use strict';
// Grove local_send: a producer process sends {tag: 'msg', i} N times to a
// consumer that counts them; timed from the start until the consumer has N.
// The producer is a handler process that sends SLICE messages per run and then
// messages itself to continue, so the scheduler interleaves the two processes
// (Erlang preempts the producer the same way; the floor yields every SLICE).
const { Node } = require('@grove/core');
const { SLICE } = require('./support');

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  let count = 0;
  let t0 = 0;
  await new Promise((resolve) => {
    const consumer = node.spawnLoop((msg) => {
      if (msg.tag === 'msg' && ++count === n) resolve();
    });
    let i = 0;
    const producer = node.spawnLoop((_go, ctx) => {
      const end = Math.min(n, i + SLICE);
      for (; i < end; i++) ctx.send(consumer, { tag: 'msg', i });
      if (i < n) ctx.send(ctx.self, 'more');
    });
    t0 = performance.now();
    node.send(producer, 'go');
  });
  return (n / (performance.now() - t0)) * 1000;
}

module.exports = { run };

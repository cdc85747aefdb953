'use strict';
// Grove cast: N casts {msg} to a GenServer, then one call that returns the
// count; the clock stops when the call returns N. The caster yields every
// SLICE casts (Erlang preempts it; the floor yields the same way).
const { Node } = require('@grove/core');
const { BenchGs } = require('./support');

const SLICE = 1024;

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    const gs = await BenchGs.start(ctx);
    const c = BenchGs.client(ctx, gs);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      c.cast.msg();
      if (i % SLICE === SLICE - 1) await ctx.yield();
    }
    const count = await c.withTimeout('infinity').call.count();
    const ms = performance.now() - t0;
    if (count !== n) throw new Error(`server counted ${count}, expected ${n}`);
    return (n / ms) * 1000;
  });
}

module.exports = { run };

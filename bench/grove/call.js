'use strict';
// Grove call: N sequential GenServer calls `ping` -> 'pong' from a process,
// with the default 5 s timeout (as gen_server:call/2).
const { Node } = require('@grove/core');
const { BenchGs } = require('./support');

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    const gs = await BenchGs.start(ctx);
    const c = BenchGs.client(ctx, gs);
    for (let i = 0; i < 10_000; i++) await c.call.ping(); // warm-up, not timed
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await c.call.ping();
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

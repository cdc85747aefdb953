'use strict';
// Grove call: N sequential GenServer calls `ping` -> 'pong' from a process,
// with the default 5 s timeout (as gen_server:call/2). `warmup` calls first,
// not timed, as on every side.
const { Node } = require('@grove/core');
const { BenchGs, calls } = require('./support');

async function run({ n, warmup }) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    const c = BenchGs.client(ctx, await BenchGs.start(ctx));
    await calls(c, warmup);
    const t0 = performance.now();
    await calls(c, n);
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

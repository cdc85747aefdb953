'use strict';
// Grove statem_call: N sequential GenStateMachine calls `ping` -> 'pong' from a
// process, through the machine's typed client, with the default 5 s timeout (as
// gen_statem:call/2). The machine (BenchStatem, bench/erlang/bench_statem.erl's
// twin) answers in its one state with a reply action. `warmup` calls first, not
// timed, as on every side.
const { Node } = require('@grove/core');
const { BenchStatem, calls } = require('./support');

async function run({ n, warmup }) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    const c = BenchStatem.client(ctx, await BenchStatem.start(ctx));
    await calls(c, warmup);
    const t0 = performance.now();
    await calls(c, n);
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

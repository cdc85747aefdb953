'use strict';
// Grove restart: one_for_one restarts of a permanent GenServer child killed
// with exit(child, 'kill'); a fresh supervisor every 100 crashes (its start
// and stop not timed); timed until the new child's init has reported with a
// `['gs_up', pid]` message (restart_batch/2 in bench_local.erl). Reports are
// silenced, as the Erlang side runs with logger level none. `warmup` crashes
// first, not timed, as on every side.
const { Node, setLogLevel } = require('@grove/core');
const { BenchSup } = require('./support');

const isUp = (m) => m[0] === 'gs_up';

async function batches(ctx, n) {
  let ms = 0;
  for (let b = 0; b < Math.max(1, Math.floor(n / 100)); b++) {
    const sup = await BenchSup.startLink(ctx, ctx.self);
    let child = (await ctx.receive(isUp))[1];
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      ctx.exit(child, 'kill');
      child = (await ctx.receive(isUp))[1];
    }
    ms += performance.now() - t0;
    ctx.exit(sup, 'shutdown');
    await ctx.receive((m) => m.type === 'EXIT' && m.from.equals(sup));
  }
  return ms;
}

async function run({ n, warmup }) {
  setLogLevel('silent');
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    ctx.trapExit(true);
    if (warmup > 0) await batches(ctx, warmup);
    const ms = await batches(ctx, n);
    return (Math.max(1, Math.floor(n / 100)) * 100 * 1000) / ms;
  });
}

module.exports = { run };

'use strict';
// Grove remote_call_16: 16 caller processes on the client node, each making N/16
// sequential calls `ping` to the peer's registered bench_gs; timed from spawning
// them until all 16 reported done (concurrent_calls/3 in bench_remote.erl). The
// same run with `warmup` calls first, not timed, as on every side.
const { BenchGs, calls } = require('./support');
const { withPeer } = require('./remote_support');

const CALLERS = 16;

// n calls split over CALLERS linked processes; resolves with how many were made.
async function concurrentCalls(ctx, server, n) {
  const share = Math.floor(n / CALLERS);
  const parent = ctx.self;
  for (let k = 0; k < CALLERS; k++) {
    ctx.spawnLink(async (cc) => {
      await calls(BenchGs.client(cc, server), share);
      cc.send(parent, ['done', cc.self]);
    });
  }
  for (let k = 0; k < CALLERS; k++) await ctx.receive((m) => m[0] === 'done');
  return share * CALLERS;
}

async function run({ n, warmup }) {
  return withPeer(async (ctx, _client, peer) => {
    const server = ['bench_gs', peer];
    if (warmup > 0) await concurrentCalls(ctx, server, warmup);
    const t0 = performance.now();
    const done = await concurrentCalls(ctx, server, n);
    return (done / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

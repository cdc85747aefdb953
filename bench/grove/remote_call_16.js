'use strict';
// Grove remote_call_16: 16 caller processes on the client node, each making N/16
// sequential calls `ping` to the peer's registered bench_gs; timed from spawning
// them until all 16 reported done (concurrent_calls/3 in bench_remote.erl).
const { BenchGs } = require('./support');
const { withPeer } = require('./remote_support');

const CALLERS = 16;
const WARMUP = 500;

async function run({ n }) {
  return withPeer(async (ctx, _client, peer) => {
    const server = ['bench_gs', peer];
    const warm = BenchGs.client(ctx, server);
    for (let i = 0; i < WARMUP; i++) await warm.call.ping(); // not timed
    const share = Math.floor(n / CALLERS);
    const parent = ctx.self;
    const t0 = performance.now();
    for (let k = 0; k < CALLERS; k++) {
      ctx.spawnLink(async (cc) => {
        const c = BenchGs.client(cc, server);
        for (let i = 0; i < share; i++) await c.call.ping();
        cc.send(parent, ['done', cc.self]);
      });
    }
    for (let k = 0; k < CALLERS; k++) await ctx.receive((m) => m[0] === 'done');
    return ((share * CALLERS) / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

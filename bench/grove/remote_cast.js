'use strict';
// Grove remote_cast: N casts `['msg', i]` to the peer's registered bench_gs, then
// one call that returns the count; the clock stops when it returns N
// (gen_server:cast({bench_gs, B}, {msg, I}) in bench_remote.erl). The caster
// yields every SLICE casts, as in cast.js.
const { BenchGs } = require('./support');
const { withPeer } = require('./remote_support');

const SLICE = 1024;

async function run({ n }) {
  return withPeer(async (ctx, _client, peer) => {
    const c = BenchGs.client(ctx, ['bench_gs', peer]);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      c.cast.msg(i);
      if (i % SLICE === SLICE - 1) await ctx.yield();
    }
    const count = await c.withTimeout('infinity').call.count();
    const ms = performance.now() - t0;
    if (count !== n) throw new Error(`server counted ${count}, expected ${n}`);
    return (n / ms) * 1000;
  });
}

module.exports = { run };

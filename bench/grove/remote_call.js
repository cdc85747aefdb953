'use strict';
// Grove remote_call: N sequential GenServer calls `ping` -> 'pong' to the peer's
// registered bench_gs (`['bench_gs', peer]`), default 5 s timeout, as
// gen_server:call({bench_gs, B}, ping) in bench/erlang/bench_remote.erl.
const { BenchGs } = require('./support');
const { withPeer } = require('./remote_support');

const WARMUP = 500;

async function run({ n }) {
  return withPeer(async (ctx, _client, peer) => {
    const c = BenchGs.client(ctx, ['bench_gs', peer]);
    for (let i = 0; i < WARMUP; i++) await c.call.ping(); // not timed, like call.js's warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await c.call.ping();
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

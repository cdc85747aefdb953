'use strict';
// Grove remote_call: N sequential GenServer calls `ping` -> 'pong' to the peer's
// registered bench_gs (`['bench_gs', peer]`), default 5 s timeout, as
// gen_server:call({bench_gs, B}, ping) in bench/erlang/bench_remote.erl.
// `warmup` calls first, not timed, as on every side.
const { BenchGs, calls } = require('./support');
const { withPeer } = require('./remote_support');

/** The workload against the peer `withPeerFn` provides (thread_call uses a worker thread's node). */
const measure = (withPeerFn) => async ({ n, warmup }) =>
  withPeerFn(async (ctx, _client, peer) => {
    const c = BenchGs.client(ctx, ['bench_gs', peer]);
    await calls(c, warmup);
    const t0 = performance.now();
    await calls(c, n);
    return (n / (performance.now() - t0)) * 1000;
  });

module.exports = { run: measure(withPeer), measure };

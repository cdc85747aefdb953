'use strict';
// Grove remote_send: N sends `['msg', i]` to the peer's registered counting
// process (`['sink', peer]`), then one `['count', self]` request; the clock stops
// when its answer says N arrived ({sink, B} ! {msg, I} in bench_remote.erl). The
// producer yields every SLICE sends, as in cast.js (Erlang preempts it).
const { SLICE } = require('./support');
const { withPeer } = require('./remote_support');

/** The workload against the peer `withPeerFn` provides (thread_send uses a worker thread's node). */
const measure = (withPeerFn) => async ({ n }) =>
  withPeerFn(async (ctx, _client, peer) => {
    const sink = ['sink', peer];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      ctx.send(sink, ['msg', i]);
      if (i % SLICE === SLICE - 1) await ctx.yield();
    }
    ctx.send(sink, ['count', ctx.self]);
    const reply = await ctx.receive((m) => m[0] === 'count');
    const ms = performance.now() - t0;
    if (reply[1] !== n) throw new Error(`sink counted ${reply[1]}, expected ${n}`);
    return (n / ms) * 1000;
  });

module.exports = { run: measure(withPeer), measure };

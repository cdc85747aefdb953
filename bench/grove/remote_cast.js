'use strict';
// Grove remote_cast: N casts `['msg', i]` to the peer's registered bench_gs, then
// one call that returns the count; the clock stops when it returns N
// (gen_server:cast({bench_gs, B}, {msg, I}) in bench_remote.erl). The same loop
// as cast.js.
const { BenchGs, castThenCount } = require('./support');
const { withPeer } = require('./remote_support');

async function run({ n }) {
  return withPeer((ctx, _client, peer) => castThenCount(ctx, BenchGs.client(ctx, ['bench_gs', peer]), n));
}

module.exports = { run };

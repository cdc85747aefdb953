'use strict';
// Grove cast: N casts `['msg', i]` to a GenServer, then one call that returns
// the count; the clock stops when the call returns N (gen_server:cast(Gs,
// {msg, I}) in bench_local.erl). The caster yields every SLICE casts.
const { Node } = require('@grove/core');
const { BenchGs, castThenCount } = require('./support');

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => castThenCount(ctx, BenchGs.client(ctx, await BenchGs.start(ctx)), n));
}

module.exports = { run };

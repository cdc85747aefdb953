'use strict';
// Grove rpc_call: N sequential `rpc.call(peer, 'bench', 'echo', [i])` round trips
// (the peer exposes `bench.echo`), as `rpc:call(Node, bench_remote, echo, [I])` in
// bench_remote.erl. `warmup` calls first, not timed.
const { rpc } = require('@grove/distribution');
const { withPeer } = require('./remote_support');

async function echoes(ctx, peer, n) {
  for (let i = 0; i < n; i++) {
    if ((await rpc.call(ctx, peer, 'bench', 'echo', [i])) !== i) throw new Error(`echo ${i} came back wrong`);
  }
}

async function run({ n, warmup }) {
  return withPeer(async (ctx, _client, peer) => {
    await echoes(ctx, peer, warmup);
    const t0 = performance.now();
    await echoes(ctx, peer, n);
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

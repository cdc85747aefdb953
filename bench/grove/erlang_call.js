'use strict';
// Grove erlang_call: N sequential calls `ping` -> `pong` from a Grove process to the
// Erlang node's registered bench_gs (gen_server:call({bench_gs, B}, ping) on the
// Erlang side, bench/erlang/bench_remote.erl). `warmup` calls first, not timed.
const { callServer } = require('@grove/core');
const { atom } = require('@grove/distribution');
const { withErlangPeer } = require('./erlang_support');

async function run({ n, warmup }) {
  return withErlangPeer(async (ctx, erlNode) => {
    const server = ['bench_gs', erlNode];
    const ping = atom('ping');
    const pong = atom('pong');
    const calls = async (k) => {
      for (let i = 0; i < k; i++) if ((await callServer(ctx, server, ping)) !== pong) throw new Error('not pong');
    };
    await calls(warmup);
    const t0 = performance.now();
    await calls(n);
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

'use strict';
// Client side of the Grove-to-Erlang workloads: a Grove node (with its embedded port
// mapper on a free port) and a real `erl` node running bench_remote's server
// (registered bench_gs and sink, bench/erlang/bench_remote.erl) that registers with
// it. Everything on 127.0.0.1; both are stopped at the end.
const fs = require('node:fs');
const { startDistributed } = require('@grove/distribution');
const { compile, COOKIE } = require('../lib/erlang');
const { startUntilReady } = require('../lib/child');
const { freePort } = require('../lib/epmd');

/** Runs `body(ctx, erlNode)` in a process of a Grove node connected to a fresh Erlang server node. */
async function withErlangPeer(body) {
  const beamDir = compile();
  const epmdPort = await freePort();
  const grove = await startDistributed({ name: `grove_bench_${process.pid}_g@127.0.0.1`, cookie: COOKIE, epmdPort, nodeOptions: { checkMessages: false } });
  const erlNode = `grove_bench_${process.pid}_e@127.0.0.1`;
  let server = null;
  try {
    server = await startUntilReady('erl', ['-name', erlNode, '-setcookie', COOKIE, '-start_epmd', 'false',
      '-kernel', 'inet_dist_use_interface', '{127,0,0,1}', '-noshell', '-pa', beamDir, '-run', 'bench_remote', 'server'],
    { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) }, readyLine: 'READY', timeoutMs: 30_000 });
    const pong = await grove.ping(erlNode);
    if (pong !== 'pong') throw new Error(`cannot reach ${erlNode}: ${pong}`);
    return await grove.node.run((ctx) => body(ctx, erlNode));
  } finally {
    server?.stop();
    await grove.stop();
    fs.rmSync(beamDir, { recursive: true, force: true });
  }
}

module.exports = { withErlangPeer };

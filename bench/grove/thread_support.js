'use strict';
// The peer of thread_send and thread_call: a Grove node in a worker thread of this OS
// process (startWorkers), running what remote_peer.js runs (serveBench), linked to the
// bench's node over shared-memory rings instead of loopback TCP. Same shape as
// remote_support.withPeer: `body(ctx, node, peerName)` runs in a process of this node.
const path = require('node:path');
const { startDistributed, startWorkers } = require('@grove/distribution');
const { EpmdServer } = require('@grove/distribution/internal');

async function withThreadPeer(body) {
  const epmd = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  let d = null;
  let workers = null;
  try {
    d = await startDistributed({ name: `bench_main_${process.pid}@127.0.0.1`, cookie: 'grove-bench', epmdPort: epmd.port, nodeOptions: { checkMessages: false } });
    workers = await startWorkers(d, { count: 1, main: path.join(__dirname, 'thread_peer.js'), epmdPort: epmd.port });
    const peer = workers.nodes[0];
    if ((await d.ping(peer)) !== 'pong') throw new Error(`cannot reach ${peer}`);
    return await d.node.run((ctx) => body(ctx, d, peer));
  } finally {
    if (workers !== null) await workers.stop();
    if (d !== null) await d.stop();
    await epmd.stop();
  }
}

module.exports = { withThreadPeer };

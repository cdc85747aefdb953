'use strict';
// Grove connect: median over N samples of a first connection from a fresh client
// node (new name, new port mapper registration, nothing kept from the previous
// sample): from `ping` (port-mapper lookup of the peer's name, TCP connect,
// handshake) until the peer's net kernel answers, as net_adm:ping(B) from a fresh
// VM in bench_remote.erl. Starting and stopping each client node is not timed.
// All samples run in one OS process, so only the first pays for loading and
// compiling code (the note reports it); Erlang starts a fresh VM per sample.
const { startPeer, startClient } = require('./remote_support');
const { median } = require('../lib/stats');

async function run({ n }) {
  const peer = await startPeer();
  try {
    const samples = [];
    for (let i = 0; i < n; i++) {
      const client = await startClient(peer);
      try {
        const t0 = performance.now();
        const pong = await client.ping(peer.name);
        const ms = performance.now() - t0;
        if (pong !== 'pong') throw new Error(`cannot reach ${peer.name}: ${pong}`);
        samples.push(ms);
      } finally {
        await client.stop();
      }
    }
    if (process.env.GROVE_BENCH_VERBOSE === '1') console.log(`connect samples (ms): ${samples.map((s) => s.toFixed(2)).join(' ')}`);
    // Erlang's figure is a fresh VM's first ping; here only the first sample pays for cold code.
    module.exports.note = `first connection of the process (cold code, like a fresh VM): ${samples[0].toFixed(1)} ms`;
    return median(samples);
  } finally {
    await peer.stop();
  }
}

module.exports = { run };

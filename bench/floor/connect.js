'use strict';
// Floor for connect: median over N fresh loopback TCP connections to a forked
// server of (connect + one 32-byte request/reply), in ms. No name lookup and
// no handshake: the raw lower bound for "connect, first reply".
const { T_CALL, frames } = require('./support/frames');
const { startServer, connect, onReplies } = require('./support/tcp_peer');
const { median } = require('../lib/stats');

async function once(port) {
  const t0 = performance.now();
  const socket = await connect(port);
  try {
    const reply = new Promise((resolve) => onReplies(socket, resolve));
    socket.write(frames(T_CALL, [1]));
    await reply;
    return performance.now() - t0;
  } finally {
    socket.destroy();
  }
}

async function run({ n }) {
  const server = await startServer();
  try {
    const samples = [];
    for (let i = 0; i < n; i++) samples.push(await once(server.port));
    return median(samples);
  } finally {
    server.stop();
  }
}

module.exports = { run };

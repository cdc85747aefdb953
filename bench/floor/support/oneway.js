'use strict';
// One-way frames over TCP, packed into 64 KiB writes (honouring 'drain'),
// then one T_COUNT request; timed until its reply says all N arrived.
const { once } = require('node:events');
const { FRAME_BYTES, T_COUNT, writeFrame, frames } = require('./frames');
const { startServer, connect, onReplies } = require('./tcp_peer');

const PER_WRITE = (64 * 1024) / FRAME_BYTES;

async function oneway(n, type) {
  const server = await startServer();
  const socket = await connect(server.port);
  try {
    let countReply;
    const counted = new Promise((resolve) => (countReply = resolve));
    onReplies(socket, (seq) => countReply(seq));
    const t0 = performance.now();
    for (let sent = 0; sent < n;) {
      const k = Math.min(PER_WRITE, n - sent);
      const buf = Buffer.alloc(k * FRAME_BYTES);
      for (let j = 0; j < k; j++) writeFrame(buf, j * FRAME_BYTES, type, sent + j);
      sent += k;
      if (!socket.write(buf)) await once(socket, 'drain');
    }
    socket.write(frames(T_COUNT, [0]));
    const count = await counted;
    const ms = performance.now() - t0;
    if (count !== n) throw new Error(`server counted ${count}, expected ${n}`);
    return (n / ms) * 1000;
  } finally {
    socket.destroy();
    server.stop();
  }
}

module.exports = { oneway };

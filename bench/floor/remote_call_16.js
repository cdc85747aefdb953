'use strict';
// Floor for remote_call_16: 16 requests kept in flight over one loopback TCP
// connection; each incoming chunk's replies are answered with new requests in
// one write (the server also writes once per chunk).
const { T_CALL, frames } = require('./support/frames');
const { startServer, connect, onReplies } = require('./support/tcp_peer');

const IN_FLIGHT = 16;

async function run({ n }) {
  const server = await startServer();
  const socket = await connect(server.port);
  try {
    let sent = 0;
    let received = 0;
    let next = [];
    let finish;
    const done = new Promise((resolve) => (finish = resolve));
    onReplies(socket, () => {
      received++;
      if (sent < n) next.push(sent++);
    });
    socket.on('data', () => {
      if (next.length > 0) socket.write(frames(T_CALL, next));
      next = [];
      if (received === n) finish();
    });
    const t0 = performance.now();
    const first = [];
    while (sent < Math.min(IN_FLIGHT, n)) first.push(sent++);
    socket.write(frames(T_CALL, first));
    await done;
    return (n / (performance.now() - t0)) * 1000;
  } finally {
    socket.destroy();
    server.stop();
  }
}

module.exports = { run };

'use strict';
// Floor for remote_call_16: 16 requests kept in flight over one loopback TCP
// connection; each incoming chunk's replies are answered with new requests in
// one write (the server also writes once per chunk). The same run with
// `warmup` calls first, not timed, as on every side.
const { T_CALL, frames } = require('./support/frames');
const { startServer, connect, onReplies } = require('./support/tcp_peer');

const IN_FLIGHT = 16;

// Makes n calls over socket, IN_FLIGHT at a time; resolves once every reply is in.
function inFlight(socket, n) {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let next = [];
    const stopReplies = onReplies(socket, () => {
      received++;
      if (sent < n) next.push(sent++);
    });
    const onChunk = () => {
      if (next.length > 0) socket.write(frames(T_CALL, next));
      next = [];
      if (received === n) {
        stopReplies();
        socket.off('data', onChunk);
        resolve();
      }
    };
    socket.on('data', onChunk);
    const first = [];
    while (sent < Math.min(IN_FLIGHT, n)) first.push(sent++);
    socket.write(frames(T_CALL, first));
  });
}

async function run({ n, warmup }) {
  const server = await startServer();
  const socket = await connect(server.port);
  try {
    if (warmup > 0) await inFlight(socket, warmup);
    const t0 = performance.now();
    await inFlight(socket, n);
    return (n / (performance.now() - t0)) * 1000;
  } finally {
    socket.destroy();
    server.stop();
  }
}

module.exports = { run };

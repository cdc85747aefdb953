'use strict';
// Floor for remote_call: N sequential request/reply round trips of 32-byte
// frames to a forked server over loopback TCP (setNoDelay). `warmup` round
// trips first, not timed, as on every side.
const { T_CALL, frames } = require('./support/frames');
const { startServer, connect, onReplies } = require('./support/tcp_peer');

async function run({ n, warmup }) {
  const server = await startServer();
  const socket = await connect(server.port);
  try {
    let pending = null;
    onReplies(socket, (seq) => pending(seq));
    const calls = async (count) => {
      for (let i = 0; i < count; i++) {
        const reply = new Promise((resolve) => (pending = resolve));
        socket.write(frames(T_CALL, [i]));
        if ((await reply) !== i) throw new Error('reply out of order');
      }
    };
    await calls(warmup);
    const t0 = performance.now();
    await calls(n);
    return (n / (performance.now() - t0)) * 1000;
  } finally {
    socket.destroy();
    server.stop();
  }
}

module.exports = { run };

'use strict';
// Floor for call: N sequential "mailbox calls" to a gen_server-shaped loop;
// each request carries its promise resolver as the reply-to. `warmup` calls
// first, not timed, as on every side.
const { startCounter, call } = require('./support/processes');

async function calls(server, n) {
  for (let i = 0; i < n; i++) {
    if ((await call(server, 'ping')) !== 'pong') throw new Error('unexpected reply');
  }
}

async function run({ n, warmup }) {
  const server = startCounter();
  await calls(server, warmup);
  const t0 = performance.now();
  await calls(server, n);
  const ms = performance.now() - t0;
  server.send({ tag: 'stop' });
  return (n / ms) * 1000;
}

module.exports = { run };

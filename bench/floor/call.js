'use strict';
// Floor for call: N sequential "mailbox calls" to a gen_server-shaped loop;
// each request carries its promise resolver as the reply-to.
const { startCounter, call } = require('./support/processes');

async function run({ n }) {
  const server = startCounter();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if ((await call(server, 'ping')) !== 'pong') throw new Error('unexpected reply');
  }
  const ms = performance.now() - t0;
  server.send({ tag: 'stop' });
  return (n / ms) * 1000;
}

module.exports = { run };

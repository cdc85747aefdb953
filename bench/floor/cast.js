'use strict';
// Floor for cast: N casts to a gen_server-shaped loop (sync drain), the
// sender yielding every SLICE casts, then one call that returns the count.
const { SLICE, startCounter, call } = require('./support/processes');

async function run({ n }) {
  const server = startCounter();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    server.send({ tag: 'cast', req: { tag: 'msg', i } });
    if (i % SLICE === SLICE - 1) await null;
  }
  const count = await call(server, 'count');
  const ms = performance.now() - t0;
  if (count !== n) throw new Error(`server counted ${count}, expected ${n}`);
  server.send({ tag: 'stop' });
  return (n / ms) * 1000;
}

module.exports = { run };

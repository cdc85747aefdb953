'use strict';
// Grove spawn: N idle processes, each a bare handler process waiting for a
// message (Erlang: `receive stop -> ok end`). The node's process table keeps
// them; the spawner keeps no pid list.
const { Node } = require('@grove/core');

function idle(msg, ctx) {
  if (msg === 'stop') ctx.exit('normal');
}

function spawnIdle(n) {
  const node = new Node({ checkMessages: false });
  for (let i = 0; i < n; i++) node.spawnLoop(idle);
  if (node.processCount !== n) throw new Error(`expected ${n} processes, have ${node.processCount}`);
  return node;
}

async function run({ n }) {
  const t0 = performance.now();
  spawnIdle(n);
  return (n / (performance.now() - t0)) * 1000;
}

module.exports = { run, spawnIdle };

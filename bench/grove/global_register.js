'use strict';
// Grove global_register: three nodes (this client and two peers, all connected);
// N times a process registers a fresh global name for itself and unregisters it,
// each a cluster-wide operation, as global:register_name/unregister_name in
// bench_remote.erl. Names per second (one register + one unregister each).
const { globalOf } = require('@grove/distribution');
const { withPeers } = require('./remote_support');

async function run({ n }) {
  return withPeers(2, async (ctx, client, peers) => {
    const g = globalOf(client);
    await g.sync();
    for (const peer of peers) if (!client.nodes().includes(peer)) throw new Error(`not connected to ${peer}`);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if ((await g.registerName(`bench_${i}`, ctx.self)) !== true) throw new Error(`name ${i} was refused`);
      await g.unregisterName(`bench_${i}`);
    }
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

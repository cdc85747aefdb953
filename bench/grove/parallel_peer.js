'use strict';
// The `main` module of the worker-thread nodes of parallel_call and parallel_ring
// (parallel_support.js): registers `bench_par`, which runs a share of the work in this
// thread when told (['call', k, from]: k sequential calls to a local bench_gs;
// ['ring', hops, from]: a token passed `hops` times around a local ring) and then
// sends ['done', elu, spent] to `from` (elu: the share of the time this thread was busy,
// not waiting for I/O or messages, while it ran the work; spent: its CPU time and time
// waiting for a core, see parallel_support.threadTimes).
const { callShare, ringShare, threadTimes, threadSpent } = require('./parallel_support');

exports.start = (dist) => {
  dist.node.spawnLoop(
    (m, ctx) => {
      const [what, k, from] = m;
      ctx.node.spawn(async (c) => {
        const elu0 = performance.eventLoopUtilization();
        const times = threadTimes();
        if (what === 'call') await callShare(c, k);
        else await ringShare(c, k);
        c.send(from, ['done', performance.eventLoopUtilization(elu0).utilization, threadSpent(times)]);
      });
    },
    { name: 'bench_par' },
  );
};

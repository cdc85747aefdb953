// Call round trips and local sends on a distributed node with @grove/observer's metrics off and on
// (on: an endpoint scraped every SCRAPE_MS, default 200 ms; latency: the same with the call
// latency histogram of the server measured), alternated in one process, 5 rounds, medians.
// Run after `npm run build`: node bench/observer_metrics.js
const path = require('path');
const R = path.join(__dirname, '..', 'packages') + '/';
const core = require(R + 'core/dist');
const { startDistributed } = require(R + 'distribution/dist');
const { startMetrics } = require(R + 'observer/dist');
const http = require('http');
class Echo extends core.GenServer { handleCall(r) { return r; } handleCast() {} }
async function measure(dist, ref) {
  const node = dist.node;
  const N = 300000;
  let t = process.hrtime.bigint();
  await node.run(async (ctx) => { for (let i = 0; i < N; i++) await core.call(ctx, ref, i); });
  const calls = N / (Number(process.hrtime.bigint() - t) / 1e9);
  const M = 3000000;
  let got = 0;
  let done;
  const fin = new Promise((r) => (done = r));
  const sink = node.spawnLoop(() => { if (++got === M) done(); });
  t = process.hrtime.bigint();
  for (let i = 0; i < M; i++) node.send(sink, i);
  await fin;
  const sends = M / (Number(process.hrtime.bigint() - t) / 1e9);
  node.exit(sink, 'kill');
  return { calls, sends };
}
(async () => {
  core.setLogLevel('silent');
  const dist = await startDistributed({ name: `mb_${process.pid}@127.0.0.1`, cookie: 'x', transport: 'memory' });
  const res = { off: [], on: [], latency: [] };
  for (let round = 0; round < 5; round++) {
    for (const mode of ['off', 'on', 'latency']) {
      let m, timer, scrapes = 0;
      if (mode !== 'off') {
        m = await startMetrics(dist, mode === 'latency' ? { callLatency: ['Echo'] } : {});
        timer = setInterval(() => http.get(m.url, { agent: false }, (r) => { r.resume(); r.on('end', () => scrapes++); }), Number(process.env.SCRAPE_MS ?? 200));
      }
      // Started after the metrics: with callLatency its calls are timed.
      const ref = await Echo.start(dist.node);
      res[mode].push(await measure(dist, ref.pid));
      await core.stopServer(dist.node, ref.pid);
      if (m) { clearInterval(timer); await m.close(); }
    }
  }
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const mode of ['off', 'on', 'latency']) console.log(mode, 'calls/s', Math.round(med(res[mode].map((x) => x.calls))), 'sends/s', Math.round(med(res[mode].map((x) => x.sends))));
  await dist.stop();
})();

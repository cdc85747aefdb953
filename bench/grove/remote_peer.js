'use strict';
// The peer node of the Grove remote workloads, forked by remote_support.js in its
// own OS process. Like the server node of bench/erlang/bench_remote.erl it runs a
// registered `bench_gs` (BenchGs) and a registered counting process `sink`
// (`['msg', i]` counts, `['count', from]` answers `['count', n]`).
//
// It also runs the default pg scope and exposes the rpc module `bench`
// (`echo(x)`, and `pgMembers(count, reportTo, n)` for pg_broadcast), as
// bench_remote.erl's server does.
//
// It starts a private port mapper on a free port (the embedded one, as the first
// Grove node on a host would), then its node registers there; it tells the parent
// `{ name, epmdPort }` over IPC once both processes are registered. With
// GROVE_BENCH_EPMD_PORT it registers with that port mapper instead (a second peer
// of the same cluster). It exits on 'stop' or when the parent goes away.
const { startDistributed } = require('@grove/distribution');
const { EpmdServer } = require('@grove/distribution/internal');
const { serveBench } = require('./support');

async function main() {
  const sharedPort = Number(process.env.GROVE_BENCH_EPMD_PORT || 0);
  const epmd = sharedPort > 0 ? null : await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  const d = await startDistributed({
    name: `bench_peer_${process.pid}@127.0.0.1`,
    cookie: process.env.GROVE_BENCH_COOKIE || 'grove-bench',
    epmdPort: epmd === null ? sharedPort : epmd.port,
    nodeOptions: { checkMessages: false },
  });
  await serveBench(d);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await d.stop().catch(() => {});
    await epmd?.stop().catch(() => {});
    // A normal exit, so that --cpu-prof writes its profile.
    process.exit(0);
  };
  process.on('message', (m) => m === 'stop' && stop());
  process.on('disconnect', stop);
  process.send({ name: d.name, epmdPort: epmd === null ? sharedPort : epmd.port });
}

main().catch((e) => {
  process.stderr.write(`remote_peer failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});

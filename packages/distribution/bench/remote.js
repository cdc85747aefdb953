/**
 * Quick figures for remote messaging between two OS processes over loopback TCP:
 * first connect, one-way send to a registered process, cast and call to a
 * GenServer (sequential, and 16 concurrent callers). Not a test: it prints numbers.
 *
 *   npx tsc -b packages/distribution && node packages/distribution/bench/remote.js [--n 2000000]
 *
 * The parent runs node `perfa`; a child process (this script with `child`) runs
 * `perfb` with a counting sink and a GenServer. Both find each other through a
 * port mapper the parent starts on an ephemeral port.
 */
'use strict';
const { fork } = require('node:child_process');
const core = require('@grove/core');
const dist = require('@grove/distribution');
const { EpmdServer } = require('@grove/distribution/internal');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 2_000_000);
const CALLS = arg('calls', 20_000);
const CONCURRENT = 16;

class Srv extends core.GenServer {
  init() {
    this.casts = 0;
    this.want = -1;
    this.notify = null;
  }
  ping() {
    return 'pong';
  }
  expect(want, who) {
    this.want = want;
    this.notify = who;
    this.casts = 0;
    return 'ok';
  }
  inc() {
    if (++this.casts === this.want) this.ctx.send(this.notify, 'casts done');
  }
}
for (const m of ['ping', 'expect']) core.Call()(Srv.prototype, m, Object.getOwnPropertyDescriptor(Srv.prototype, m));
core.Cast()(Srv.prototype, 'inc', Object.getOwnPropertyDescriptor(Srv.prototype, 'inc'));

async function child() {
  const d = await dist.startDistributed({ name: process.env.PERF_NAME, cookie: 'perf', epmdPort: Number(process.env.PERF_EPMD) });
  let count = 0;
  let want = -1;
  let notify = null;
  d.node.spawnLoop(
    (m, ctx) => {
      if (typeof m === 'object' && m !== null && m.expect !== undefined) {
        want = m.expect;
        notify = m.from;
        count = 0;
      } else if (++count === want) ctx.send(notify, 'sink done');
    },
    { name: 'sink' },
  );
  await Srv.start(d.node, undefined, { name: 'srv' });
  process.send('ready');
  process.on('SIGINT', () => process.exit(0));
}

const rate = (n, ms) => `${Math.round(n / (ms / 1000)).toLocaleString('en')}/s`;

async function parent() {
  const epmd = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  const bName = `perfb_${process.pid}@127.0.0.1`;
  const kid = fork(__filename, ['child'], { execArgv: process.env.PERF_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [], env: { ...process.env, PERF_NAME: bName, PERF_EPMD: String(epmd.port) } });
  await new Promise((r) => kid.once('message', r));
  const a = await dist.startDistributed({ name: `perfa_${process.pid}@127.0.0.1`, cookie: 'perf', epmdPort: epmd.port });
  try {
    let t = performance.now();
    const pong = await a.ping(bName);
    console.log(`first connect (lookup + connect + handshake + first reply): ${(performance.now() - t).toFixed(1)} ms (${pong})`);

    const results = await a.node.run(async (ctx) => {
      const out = {};
      // One-way send to a registered process.
      ctx.send(['sink', bName], { expect: N, from: ctx.self });
      t = performance.now();
      for (let i = 0; i < N; i++) {
        ctx.send(['sink', bName], i);
        if ((i & 8191) === 8191) await new Promise((r) => setImmediate(r));
      }
      await ctx.receive((m) => m === 'sink done');
      out.send = rate(N, performance.now() - t);
      // Casts to a GenServer.
      await core.callServer(ctx, ['srv', bName], ['expect', N, ctx.self]);
      t = performance.now();
      for (let i = 0; i < N; i++) {
        core.castServer(ctx, ['srv', bName], 'inc');
        if ((i & 8191) === 8191) await new Promise((r) => setImmediate(r));
      }
      await ctx.receive((m) => m === 'casts done');
      out.cast = rate(N, performance.now() - t);
      // Sequential calls.
      for (let i = 0; i < 1000; i++) await core.callServer(ctx, ['srv', bName], 'ping');
      t = performance.now();
      for (let i = 0; i < CALLS; i++) await core.callServer(ctx, ['srv', bName], 'ping');
      out.seqCall = rate(CALLS, performance.now() - t);
      // 16 concurrent callers.
      t = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENT }, () =>
          ctx.node.run(async (c2) => {
            for (let i = 0; i < CALLS; i++) await core.callServer(c2, ['srv', bName], 'ping');
          }),
        ),
      );
      out.concurrentCalls = rate(CALLS * CONCURRENT, performance.now() - t);
      return out;
    });
    console.log(`remote send to a registered process: ${results.send}`);
    console.log(`remote cast: ${results.cast}`);
    console.log(`sequential remote call: ${results.seqCall}`);
    console.log(`${CONCURRENT} concurrent callers: ${results.concurrentCalls}`);
  } finally {
    await a.stop();
    kid.kill(process.env.PERF_PROF ? 'SIGINT' : 'SIGKILL');
    await epmd.stop();
  }
}

(process.argv[2] === 'child' ? child() : parent()).catch((e) => {
  console.error(e);
  process.exit(1);
});

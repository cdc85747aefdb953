'use strict';
// CPU time per message (or call) of each side of a Grove remote workload: wall
// clock moves ±30-40% on the shared 2-core machine, CPU time much less.
//   node --expose-gc bench/lib/remote_cpu.js <send|cast|call|call16> <n> [root]
// Runs the workload of bench/grove/remote_*.js (calls after 3,000 warm-up calls)
// against a forked peer and prints one JSON line: the rate, and µs of CPU per
// message for the client (process.cpuUsage) and the peer (/proc/<pid>/stat, 10 ms
// ticks), user+system and user alone. `root` (default this checkout) is a tree
// with built packages, to compare two builds back to back (see PROFILE-dist.md).
const fs = require('node:fs');
const path = require('node:path');
const cp = require('node:child_process');

const [which, nText, rootArg] = process.argv.slice(2);
const n = Number(nText);
const root = path.resolve(rootArg || path.join(__dirname, '..', '..'));
if (!['send', 'cast', 'call', 'call16'].includes(which) || !(n > 0)) {
  console.error('usage: node --expose-gc bench/lib/remote_cpu.js <send|cast|call|call16> <n> [root]');
  process.exit(2);
}

// The peer's pid: remote_support forks it.
let peerPid = 0;
const fork = cp.fork;
cp.fork = function (...args) {
  const child = fork.apply(this, args);
  peerPid = child.pid;
  return child;
};
const { withPeer } = require(path.join(root, 'bench/grove/remote_support'));
const { BenchGs, calls, castThenCount, SLICE } = require(path.join(root, 'bench/grove/support'));

const TICK_MS = 1000 / 100;
function peerCpuMs() {
  const f = fs.readFileSync(`/proc/${peerPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]) * TICK_MS, system: Number(f[12]) * TICK_MS };
}

async function body(ctx, peer) {
  const server = ['bench_gs', peer];
  if (which === 'send') {
    const sink = ['sink', peer];
    for (let i = 0; i < n; i++) {
      ctx.send(sink, ['msg', i]);
      if (i % SLICE === SLICE - 1) await ctx.yield();
    }
    ctx.send(sink, ['count', ctx.self]);
    const reply = await ctx.receive((m) => m[0] === 'count');
    if (reply[1] !== n) throw new Error(`sink counted ${reply[1]}, expected ${n}`);
  } else if (which === 'cast') {
    await castThenCount(ctx, BenchGs.client(ctx, server), n);
  } else if (which === 'call') {
    await calls(BenchGs.client(ctx, server), n);
  } else {
    const parent = ctx.self;
    for (let k = 0; k < 16; k++) {
      ctx.spawnLink(async (cc) => {
        await calls(BenchGs.client(cc, server), Math.floor(n / 16));
        cc.send(parent, ['done']);
      });
    }
    for (let k = 0; k < 16; k++) await ctx.receive((m) => m[0] === 'done');
  }
}

withPeer(async (ctx, _client, peer) => {
  if (which === 'call' || which === 'call16') await calls(BenchGs.client(ctx, ['bench_gs', peer]), 3000);
  const c0 = process.cpuUsage();
  const p0 = peerCpuMs();
  const t0 = performance.now();
  await body(ctx, peer);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const p1 = peerCpuMs();
  const us = (cpuMs) => +((cpuMs * 1000) / n).toFixed(3);
  console.log(
    JSON.stringify({
      which,
      n,
      rate: Math.round((n / ms) * 1000),
      clientUs: us((c.user + c.system) / 1000),
      clientUserUs: us(c.user / 1000),
      peerUs: us(p1.user - p0.user + p1.system - p0.system),
      peerUserUs: us(p1.user - p0.user),
    }),
  );
}).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

'use strict';
// parallel_call and parallel_ring: the same work split over the cores, measured twice
// in one run: on one thread (one node, one share per core, all at once), then on one
// worker-thread node per core (startWorkers; each node runs one share in its own
// thread). The result is the worker-node figure; the one-thread figure and the ratio
// go in the footnote, with how busy each worker thread was (Grove adds no wait) and
// this machine's ceiling in the same run (pure-JS loops in 1 vs C threads). The worker
// nodes are started before the clock.
const path = require('node:path');
const os = require('node:os');
const { Node } = require('@grove/core');
const { BenchGs, calls } = require('./support');

const RING = 1000;

/**
 * This thread's time on a core and waiting for one, in ns (Linux schedstat; null
 * elsewhere): CPU per operation does not move with the load of a shared machine as
 * wall-clock time does, and the wait says how much of a core the thread got.
 */
function threadTimes() {
  try {
    const [cpu, wait] = require('node:fs').readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return Number.isFinite(cpu) && Number.isFinite(wait) ? { cpu, wait } : null;
  } catch {
    return null;
  }
}

/** What a thread spent between `t0` and now: { cpu, wait } in ns, or null. */
function threadSpent(t0) {
  const t1 = threadTimes();
  return t0 === null || t1 === null ? null : { cpu: t1.cpu - t0.cpu, wait: t1.wait - t0.wait };
}

/** k sequential calls to a fresh local bench_gs, from the process `ctx`. */
async function callShare(ctx, k) {
  const c = BenchGs.client(ctx, await BenchGs.start(ctx));
  await calls(c, k);
}

/** A ring of RING processes on ctx's node; a token goes `hops` hops around it. */
function ringShare(ctx, hops) {
  const node = ctx.node;
  const me = ctx.self;
  let next = null;
  const first = node.spawnLoop((left, p) => (left === 0 ? p.send(me, 'ring_done') : p.send(next, left - 1)));
  let prev = first;
  for (let i = 1; i < RING; i++) {
    const to = prev;
    prev = node.spawnLoop((left, p) => (left === 0 ? p.send(me, 'ring_done') : p.send(to, left - 1)));
  }
  next = prev;
  ctx.send(first, hops);
  return ctx.receive((m) => m === 'ring_done');
}

function cores() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Runs `share(ctx, n / c)` in c processes of one node at once; ops per second. */
async function oneThread(share, n, c) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    const times = threadTimes();
    const t0 = performance.now();
    const me = ctx.self;
    for (let i = 0; i < c; i++) node.spawn(async (p) => {
      await share(p, Math.floor(n / c));
      p.send(me, 'share_done');
    });
    for (let i = 0; i < c; i++) await ctx.receive((m) => m === 'share_done');
    return { rate: (Math.floor(n / c) * c / (performance.now() - t0)) * 1000, spent: threadSpent(times) };
  });
}

/**
 * One worker node per core, each running `what` with n / c in its own thread at once:
 * ops per second, and the least busy thread's event-loop utilization during its share
 * (1: it never waited; the main thread only sends the work out and hears it is done).
 */
async function onWorkers(what, n, warmup, c) {
  const { startDistributed, startWorkers } = require('@grove/distribution');
  const { EpmdServer } = require('@grove/distribution/internal');
  const epmd = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  const d = await startDistributed({ name: `bench_par_${process.pid}@127.0.0.1`, cookie: 'grove-bench', epmdPort: epmd.port, nodeOptions: { checkMessages: false } });
  const workers = await startWorkers(d, { count: c, main: path.join(__dirname, 'parallel_peer.js'), epmdPort: epmd.port });
  try {
    return await d.node.run(async (ctx) => {
      let busy = 1;
      let spent = { cpu: 0, wait: 0 };
      const round = async (total) => {
        busy = 1;
        spent = { cpu: 0, wait: 0 };
        for (const w of workers.nodes) ctx.send(['bench_par', w], [what, Math.floor(total / c), ctx.self]);
        for (let i = 0; i < c; i++) {
          const [, elu, s] = await ctx.receive((m) => Array.isArray(m) && m[0] === 'done');
          busy = Math.min(busy, elu);
          spent = spent === null || s === null ? null : { cpu: spent.cpu + s.cpu, wait: spent.wait + s.wait };
        }
      };
      if (warmup > 0) await round(warmup);
      const t0 = performance.now();
      await round(n);
      return { rate: (Math.floor(n / c) * c / (performance.now() - t0)) * 1000, busy, spent };
    });
  } finally {
    await workers.stop();
    await d.stop();
    await epmd.stop();
  }
}

/** A pure-JS loop: no allocation, no I/O, nothing shared (the ceiling's work). */
function spin(k) {
  let x = 1;
  for (let i = 0; i < k; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/**
 * What this machine allows: c shares of a pure-JS loop one after another on this
 * thread, then one share in each of c worker threads at once (started and warmed
 * before the clock). The ratio of the two times is the speed-up no Grove workload
 * split over c threads can beat here (shared or throttled cores make it less than c).
 */
async function ceiling(c, k) {
  const { Worker } = require('node:worker_threads');
  spin(k / 10);
  let t0 = performance.now();
  for (let i = 0; i < c; i++) spin(k);
  const oneMs = performance.now() - t0;
  const src = `const { parentPort } = require('node:worker_threads'); ${spin.toString()}
    parentPort.on('message', (k) => parentPort.postMessage(spin(k)));`;
  const threads = Array.from({ length: c }, () => new Worker(src, { eval: true }));
  const round = (kk) => Promise.all(threads.map((w) => new Promise((r) => { w.once('message', r); w.postMessage(kk); })));
  try {
    await round(k / 10);
    t0 = performance.now();
    await round(k);
    return oneMs / (performance.now() - t0);
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

/** CPU per operation on one thread and on the worker threads, and how long threads waited for a core. */
function cpuNote(alone, spread, ops) {
  const ns = (s) => (s.cpu / ops).toFixed(0);
  const waited = (s) => ((100 * s.wait) / (s.cpu + s.wait)).toFixed(0);
  return `CPU per op: ${ns(alone)} ns on one thread, ${ns(spread)} ns on the workers; threads waited for a core ${waited(alone)}% / ${waited(spread)}% of their time`;
}

/** The module of a parallel workload: `run` returns the worker-node figure and sets `note`. */
function parallelWorkload(what) {
  const share = what === 'call' ? callShare : ringShare;
  const mod = {
    async run({ n, warmup, quick }) {
      const c = cores();
      if (warmup > 0) await oneThread(share, warmup, c);
      const { rate: single, spent: alone } = await oneThread(share, n, c);
      const { rate: spread, busy, spent } = await onWorkers(what, n, warmup, c);
      const ceil = await ceiling(c, quick ? 1e7 : 1e8);
      const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toPrecision(3)}M` : `${(x / 1e3).toPrecision(3)}k`);
      mod.note =
        `one thread: ${fmt(single)}/s; ${c} worker nodes: ${(spread / single).toFixed(2)}x that (goal >= ${(0.8 * c).toFixed(1)}x), each thread busy ${(busy * 100).toFixed(0)}% of its share; ` +
        `ceiling of this machine in the same run: pure-JS loops in ${c} threads ${ceil.toFixed(2)}x one thread` +
        (alone !== null && spent !== null ? `; ${cpuNote(alone, spent, Math.floor(n / c) * c)}` : '');
      return spread;
    },
    note: undefined,
  };
  return mod;
}

module.exports = { callShare, ringShare, parallelWorkload, ceiling, threadTimes, threadSpent, RING };

'use strict';
// Grove many_connections: N fresh nodes (N = 10), each in its own OS process
// (bench/grove/mesh_node.js), registered with one port mapper and none connected
// to another, form a full mesh and a message crosses every ordered pair: on 'go'
// each node sends `['hello', me]` to the registered `rx` on every other node (the
// send sets up the connection; connect-all meshes the rest, as by default); the
// clock runs from the first 'go' until every node has counted N-1. Starting the
// nodes is not timed. As bench/erlang/bench_mesh.erl. Milliseconds. The note gives
// the CPU time the node processes spent from 'go' to their last hello (all threads,
// `process.cpuUsage`), as bench_mesh.erl's gives the VMs'.
const path = require('node:path');
const { fork } = require('node:child_process');
const { EpmdServer } = require('@grove/distribution/internal');
const { COOKIE } = require('./remote_support');

function startMeshNode(epmdPort, name, expect) {
  const child = fork(path.join(__dirname, 'mesh_node.js'), [], {
    stdio: 'inherit',
    env: { ...process.env, GROVE_BENCH_COOKIE: COOKIE, GROVE_LOG_LEVEL: process.env.GROVE_LOG_LEVEL || 'error' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const next = (want) =>
    new Promise((resolve, reject) => {
      const onExit = (code, signal) => reject(new Error(`${name} exited with ${signal ?? `code ${code}`}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        const type = typeof m === 'object' && m !== null ? m.type : m;
        if (type !== want) reject(new Error(`${name}: expected ${want}, got ${JSON.stringify(m)}`));
        else resolve(m);
      });
    });
  const ready = next('ready');
  child.send({ epmdPort, name, expect });
  return {
    child,
    ready,
    next,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function run({ n }) {
  const epmd = await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  const names = Array.from({ length: n }, (_, i) => `bench_mesh${i + 1}_${process.pid}@127.0.0.1`);
  const nodes = names.map((name) => startMeshNode(epmd.port, name, n - 1));
  try {
    await Promise.all(nodes.map((m) => m.ready));
    const done = nodes.map((m) => m.next('done'));
    const t0 = performance.now();
    for (const m of nodes) m.child.send({ go: names });
    const reports = await Promise.all(done);
    const ms = performance.now() - t0;
    const cpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0);
    module.exports.note = `CPU of the ${n} node processes from go to their last hello: ${cpuMs.toFixed(0)} ms (${(cpuMs / n).toFixed(1)} ms per node)`;
    return ms;
  } finally {
    await Promise.all(nodes.map((m) => m.stop()));
    await epmd.stop();
  }
}

module.exports = { run };

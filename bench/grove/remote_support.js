'use strict';
// Client side of the Grove remote workloads: fork the peer node (remote_peer.js)
// in its own OS process and start a distributed client node that uses the peer's
// private port mapper. Everything is on 127.0.0.1 with ephemeral ports.
//
// GROVE_BENCH_PROF=1 runs the peer with --cpu-prof (profiles in
// GROVE_BENCH_PROF_DIR, default the current directory); the client then stops it
// with 'stop' so that it exits normally and writes its profile.
// GROVE_BENCH_PEER_ARGS adds node flags to the peer (e.g. "--trace-gc").
const path = require('node:path');
const { fork } = require('node:child_process');
const { startDistributed } = require('@grove/distribution');

const COOKIE = 'grove-bench';
let clients = 0;

function peerExecArgv() {
  // GROVE_BENCH_PEER_ARGS: extra node flags for the peer (e.g. --trace-gc), split on spaces.
  const extra = (process.env.GROVE_BENCH_PEER_ARGS || '').split(' ').filter(Boolean);
  if (process.env.GROVE_BENCH_PROF !== '1') return extra;
  const dir = process.env.GROVE_BENCH_PROF_DIR || process.cwd();
  return [...extra, '--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=peer-${Date.now()}.cpuprofile`];
}

/**
 * Forks the peer; resolves `{ name, epmdPort, stop() }` once its `bench_gs` and `sink`
 * are registered. With `epmdPort` the peer registers with that port mapper (another
 * peer's) instead of starting its own.
 */
function startPeer(epmdPort = 0) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'remote_peer.js'), [], {
      stdio: 'inherit',
      execArgv: peerExecArgv(),
      env: {
        ...process.env,
        GROVE_BENCH_COOKIE: COOKIE,
        GROVE_BENCH_EPMD_PORT: String(epmdPort),
        GROVE_LOG_LEVEL: process.env.GROVE_LOG_LEVEL || 'error',
      },
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`peer exited with ${signal ?? `code ${code}`} before it was ready`)));
    child.once('message', ({ name, epmdPort }) =>
      resolve({
        name,
        epmdPort,
        /** Asks the peer to stop and waits (at most 5 s) until it has exited. */
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          if (child.connected) child.send('stop');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      }),
    );
  });
}

/** A fresh distributed client node (new name each time) using the peer's port mapper. */
function startClient(peer) {
  return startDistributed({
    name: `bench_client${++clients}_${process.pid}@127.0.0.1`,
    cookie: COOKIE,
    epmdPort: peer.epmdPort,
    nodeOptions: { checkMessages: false },
  });
}

/**
 * Starts the peer and a client node, connects them (a ping, as the Erlang client
 * does before its clock starts), runs `body(ctx, client, peerName)` in a process
 * of the client node, and stops both.
 */
async function withPeer(body) {
  return withPeers(1, (ctx, client, [peerName]) => body(ctx, client, peerName));
}

/**
 * withPeer with `count` peer nodes sharing the first one's port mapper:
 * `body(ctx, client, peerNames)` runs once the client has pinged every peer.
 */
async function withPeers(count, body) {
  const peers = [];
  let client = null;
  try {
    peers.push(await startPeer());
    while (peers.length < count) peers.push(await startPeer(peers[0].epmdPort));
    client = await startClient(peers[0]);
    for (const peer of peers) {
      const pong = await client.ping(peer.name);
      if (pong !== 'pong') throw new Error(`cannot reach ${peer.name}: ${pong}`);
    }
    return await client.node.run((ctx) => body(ctx, client, peers.map((p) => p.name)));
  } finally {
    if (client !== null) await client.stop();
    await Promise.all(peers.map((p) => p.stop()));
  }
}

module.exports = { COOKIE, startPeer, startClient, withPeer, withPeers };

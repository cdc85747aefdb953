'use strict';
// Grove idle_1m: how much the OS process grows (resident set, read after forced GC,
// as a user sees it in `top`) for N idle bare processes, in MB (10^6 bytes) per
// 1,000,000 processes (N = 1,000,000 in a full run; a --quick run scales up from
// its smaller N). Erlang reports its VM's resident-set growth the same way.
// spawn_bytes is the V8-heap view of the same processes.
const { spawnIdle } = require('./spawn');

function rss() {
  global.gc();
  global.gc();
  return process.memoryUsage().rss;
}

async function run({ n }) {
  const before = rss();
  const node = spawnIdle(n);
  await new Promise((resolve) => setImmediate(resolve));
  const after = rss();
  if (node.processCount !== n) throw new Error(`expected ${n} processes, have ${node.processCount}`);
  // MB per 10^6 processes = bytes per process.
  return (after - before) / n;
}

module.exports = { run };

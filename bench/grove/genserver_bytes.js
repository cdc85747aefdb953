'use strict';
// Grove genserver_bytes: heap bytes per idle GenServer (process, pid, table
// entry, server instance and engine state), after forced GC.
const { Node } = require('@grove/core');
const { bytesPerItem } = require('../lib/heap');
const { BenchGs } = require('./support');

async function startServers(n) {
  const node = new Node({ checkMessages: false });
  await node.run(async (ctx) => {
    for (let i = 0; i < n; i++) await BenchGs.start(ctx);
  });
  if (node.processCount < n) throw new Error(`expected ${n} servers, have ${node.processCount}`);
  return node;
}

async function run({ n }) {
  return bytesPerItem(n, startServers);
}

module.exports = { run };

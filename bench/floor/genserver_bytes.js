'use strict';
// Floor for genserver_bytes: heap delta per idle gen_server-shaped loop (its
// own mailbox and state object, shared callbacks), minus the keep-alive slot.
const { bytesPerItem } = require('../lib/heap');
const { startCounter } = require('./support/processes');

function startServers(n) {
  const servers = new Array(n);
  for (let i = 0; i < n; i++) servers[i] = startCounter();
  return servers;
}

async function run({ n }) {
  return bytesPerItem(n, startServers);
}

module.exports = { run };

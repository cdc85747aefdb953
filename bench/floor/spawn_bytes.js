'use strict';
// Floor for spawn_bytes: (heapUsed + external) delta after forced GC per idle
// async-function process (see spawn.js), minus the keep-alive array's slot.
const { bytesPerItem } = require('../lib/heap');
const { spawnIdle } = require('./spawn');

async function run({ n }) {
  return bytesPerItem(n, spawnIdle);
}

module.exports = { run };

'use strict';
// Grove spawn_bytes: heap bytes per idle bare process (see spawn.js), after
// forced GC: the Process object, its Pid and its process-table entry.
const { bytesPerItem } = require('../lib/heap');
const { spawnIdle } = require('./spawn');

async function run({ n }) {
  return bytesPerItem(n, spawnIdle);
}

module.exports = { run };

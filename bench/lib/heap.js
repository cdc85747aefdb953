'use strict';
// V8 heap accounting shared by the floor and Grove memory workloads. Needs
// `node --expose-gc` (the runner always passes it).

// heapUsed + external after forced full collections.
function heapBytes() {
  if (typeof global.gc !== 'function') throw new Error('run node with --expose-gc');
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

// Bytes per item created by (async) create(n), which must return something
// that keeps the n items alive (typically an array of n slots; its 8 bytes per
// slot are subtracted as the benchmark's own bookkeeping). One macrotask turn
// is let pass first so freshly started processes reach their receive.
async function bytesPerItem(n, create) {
  const before = heapBytes();
  const keep = await create(n);
  await new Promise((resolve) => setImmediate(resolve));
  const after = heapBytes();
  const perItem = (after - before) / n - (Array.isArray(keep) ? 8 : 0);
  if (keep == null) throw new Error('create(n) must return what keeps the items alive');
  return perItem;
}

module.exports = { heapBytes, bytesPerItem };

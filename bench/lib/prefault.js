'use strict';
// Touches fresh memory once before a full run, in a child process.
//
// Why: on the KVM/Firecracker guests this runs on, the first touch of guest
// memory that was never used since boot costs several µs per 4 KiB page on
// the host side (shared/anchors/README.md, "Page faults are slow"); memory
// the guest kernel has touched before is cheap to hand out again. Without
// this step whichever side first builds a multi-GB heap (spawn of 1M
// processes: Erlang ≈ 2.7 GB) pays that cost and the others do not, and the
// ratio says more about run order than about the runtimes.
//
// As a child: node prefault.js <GiB>  -> prints "RESULT <seconds>".
const os = require('node:os');
const { runForResult } = require('./child');

const CHUNK = 256 * 2 ** 20;
const PAGE = 4096;

function touch(gib) {
  const chunks = [];
  const t0 = performance.now();
  for (let left = gib * 2 ** 30; left > 0; left -= CHUNK) {
    const buf = Buffer.allocUnsafeSlow(Math.min(CHUNK, left));
    for (let i = 0; i < buf.length; i += PAGE) buf[i] = 1;
    chunks.push(buf);
  }
  return (performance.now() - t0) / 1000;
}

// Prefaults min(gib, half of RAM) GiB; resolves to a one-line summary.
async function prefault(gib = 4) {
  const size = Math.min(gib, Math.floor(os.totalmem() / 2 ** 31));
  const r = await runForResult(process.execPath, [__filename, String(size)], { timeoutMs: 120_000 });
  return r.error ? `prefault failed: ${r.error}` : `prefaulted ${size} GiB in ${r.value.toFixed(1)} s`;
}

if (require.main === module) console.log(`RESULT ${touch(Number(process.argv[2]))}`);

module.exports = { prefault };

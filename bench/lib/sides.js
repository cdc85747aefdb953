'use strict';
// Runs one side of one workload in a fresh process and returns
// { value, note?, error?, missing? }.
const fs = require('node:fs');
const path = require('node:path');
const { runForResult } = require('./child');

const BENCH_DIR = path.join(__dirname, '..');
const NODE_SIDE = path.join(__dirname, 'node_side.js');
const DIRS = { grove: 'grove', node_floor: 'floor' };

async function runNodeSide(side, workload, n, { quick, timeoutMs }) {
  if (side === 'node_floor' && workload.floor === false) return { value: null, note: workload.floorNote };
  const dir = DIRS[side];
  const rel = `bench/${dir}/${workload.bench}.js`;
  if (!fs.existsSync(path.join(BENCH_DIR, dir, `${workload.bench}.js`))) {
    return { value: null, error: `${rel} not written yet`, missing: true };
  }
  const args = ['--expose-gc', NODE_SIDE, dir, workload.bench, String(n), quick ? '1' : '0', String(workload.warmup ?? 0)];
  return runForResult(process.execPath, args, { timeoutMs });
}

async function runSide(side, workload, n, ctx) {
  if (side !== 'erlang') return runNodeSide(side, workload, n, ctx);
  if (ctx.erlangError) return { value: null, error: ctx.erlangError };
  return ctx.erlang.run(workload, n);
}

module.exports = { runSide };

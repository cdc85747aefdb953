#!/usr/bin/env node
'use strict';
// Grove benchmark suite: each workload on Grove, on the plain Node.js floor
// and on Erlang/OTP (when `erl` is installed), every side in a fresh process.
// See bench/README.md. Usage: node bench/run.js --help
const fs = require('node:fs');
const { WORKLOADS, MIN_SAMPLE_MS, scalable } = require('./lib/workloads');
const { parseArgs, USAGE } = require('./lib/args');
const { machineInfo, machineLine } = require('./lib/machine');
const { ErlangSide, which, version } = require('./lib/erlang');
const { runSide } = require('./lib/sides');
const { buildResult } = require('./lib/results');
const { renderTable, fmtValue } = require('./lib/table');
const { killAll } = require('./lib/child');
const { prefault } = require('./lib/prefault');

const SIDE_ORDER = ['node_floor', 'grove', 'erlang'];
const QUICK_WARNING = 'QUICK RUN: a smoke test only. Small N, short samples: these figures are not comparable; quote full runs.';

// status: 'run', 'not installed' or 'not run' (--sides without erlang).
function setUpErlang(opts) {
  if (!which('erl')) return { version: null, status: 'not installed' };
  const run = opts.sides.includes('erlang');
  const ctx = { version: null, side: null, error: null, status: run ? 'run' : 'not run' };
  try {
    ctx.version = version();
    if (run) ctx.side = new ErlangSide({ timeoutMs: opts.timeoutSec * 1000 });
  } catch (err) {
    ctx.error = `cannot prepare Erlang side: ${err.message.split('\n')[0]}`;
  }
  return ctx;
}

async function runWorkload(workload, opts, ctx, erl) {
  const n = opts.quick ? workload.quickN : workload.n;
  const withErlang = erl.status === 'run';
  const sides = SIDE_ORDER.filter((s) => opts.sides.includes(s) && (s !== 'erlang' || withErlang));
  const outcomes = Object.fromEntries(sides.map((s) => [s, []]));
  const nBySide = {};
  for (let run = 0; run < opts.runs; run++) {
    for (const side of sides) {
      const t0 = Date.now();
      let outcome = await runSide(side, workload, nBySide[side] ?? n, ctx);
      if (run === 0 && !opts.quick) {
        const scaled = scaledN(workload, n, outcome);
        if (scaled !== n) {
          process.stderr.write(`  ${workload.bench} ${side}: ${describe(outcome, workload)} in under ${MIN_SAMPLE_MS} ms; again with N=${scaled}\n`);
          outcome = await runSide(side, workload, scaled, ctx);
        }
        nBySide[side] = scaled;
      }
      outcomes[side].push(outcome);
      process.stderr.write(`  ${workload.bench} ${side}: ${describe(outcome, workload)} [${((Date.now() - t0) / 1000).toFixed(1)} s]\n`);
    }
  }
  return buildResult(workload, n, outcomes, withErlang, nBySide);
}

function describe(outcome, workload) {
  return outcome.error ? `n/a (${outcome.error})` : fmtValue(outcome.value, workload.unit) ?? '-';
}

// The N that makes one timed sample of a rate workload last at least
// MIN_SAMPLE_MS (with 20% to spare), given a first sample at `n`; `n` itself
// when that sample was long enough, failed, or the workload's N is fixed.
function scaledN(workload, n, outcome) {
  if (!scalable(workload) || !(outcome.value > 0)) return n;
  const ms = (n / outcome.value) * 1000;
  if (ms >= MIN_SAMPLE_MS) return n;
  const factor = Math.min(workload.maxScale ?? 20, Math.ceil((MIN_SAMPLE_MS * 1.2) / ms));
  return factor > 1 ? n * factor : n;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), WORKLOADS.map((w) => w.bench));
  if (opts.help) return console.log(USAGE);
  const selected = WORKLOADS.filter((w) => !opts.only || opts.only.includes(w.bench));
  const erl = setUpErlang(opts);
  const machine = machineInfo(erl.version);
  console.log(machineLine(machine));
  if (erl.status === 'not installed') console.log('erlang: not installed — install erlang-base');
  if (erl.error) console.log(`erlang: ${erl.error}`);
  const mode = `${opts.quick ? 'quick' : 'full'} run, ${opts.runs} run(s) per side, medians`;
  console.log(`${mode}; every side of every workload in a fresh process`);
  if (opts.quick) console.log(QUICK_WARNING);
  else console.log(`a sample of a rate workload shorter than ${MIN_SAMPLE_MS} ms is run again with a larger N (per side)`);
  console.log('');

  const ctx = { quick: opts.quick, timeoutMs: opts.timeoutSec * 1000, erlang: erl.side, erlangError: erl.error };
  const cleanUp = () => {
    killAll();
    erl.side?.close();
  };
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  const results = [];
  try {
    if (opts.prefault && !opts.quick) process.stderr.write(`  ${await prefault()}\n`);
    for (const workload of selected) results.push(await runWorkload(workload, opts, ctx, erl));
  } finally {
    cleanUp();
  }
  console.log(renderTable(results, { erlangStatus: erl.status }));
  if (opts.quick) console.log(`\n${QUICK_WARNING}`);
  if (opts.json) {
    const options = { quick: opts.quick, runs: opts.runs, only: opts.only, sides: opts.sides, min_sample_ms: opts.quick ? null : MIN_SAMPLE_MS };
    const doc = { machine, options, ...(opts.quick ? { smoke_test_only: QUICK_WARNING } : {}), results };
    fs.writeFileSync(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`\nwrote ${opts.json}`);
  }
}

main().catch((err) => {
  killAll();
  console.error(`bench: ${err.message}`);
  process.exit(1);
});

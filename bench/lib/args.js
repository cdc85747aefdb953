'use strict';
// Command line of bench/run.js.
const USAGE = `usage: node bench/run.js [--quick] [--runs K] [--only a,b] [--json FILE]
                         [--sides grove,node_floor,erlang] [--timeout SEC] [--no-prefault]
  --quick      small N for every workload, a smoke test only (whole suite under ~90 s)
  --runs K     run every side K times, report medians (default 1)
  --only a,b   run only these workloads
  --json FILE  also write the results as JSON to FILE
  --sides      run only these sides (default all three)
  --timeout S  kill a side that runs longer than S seconds (default 300, quick 20)
  --no-prefault  skip touching 4 GiB of fresh memory before a full run (see lib/prefault.js)`;

const SIDES = ['grove', 'node_floor', 'erlang'];

function parseArgs(argv, knownBenches) {
  const opts = { quick: false, runs: 1, only: null, json: null, sides: SIDES, timeoutSec: null, prefault: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--runs') opts.runs = positiveInt(arg, value());
    else if (arg === '--only') opts.only = list(value());
    else if (arg === '--json') opts.json = value();
    else if (arg === '--sides') opts.sides = list(value());
    else if (arg === '--timeout') opts.timeoutSec = positiveInt(arg, value());
    else if (arg === '--no-prefault') opts.prefault = false;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  for (const name of opts.only ?? []) {
    if (!knownBenches.includes(name)) throw new Error(`unknown workload ${name}; known: ${knownBenches.join(', ')}`);
  }
  for (const side of opts.sides) {
    if (!SIDES.includes(side)) throw new Error(`unknown side ${side}; known: ${SIDES.join(', ')}`);
  }
  opts.timeoutSec ??= opts.quick ? 20 : 300;
  return opts;
}

function list(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer, got ${text}`);
  return n;
}

module.exports = { parseArgs, USAGE, SIDES };

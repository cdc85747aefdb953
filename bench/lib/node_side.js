'use strict';
// Entry point of one Node.js side run, in a fresh `node --expose-gc` process:
//   node --expose-gc bench/lib/node_side.js <grove|floor> <bench> <n> <quick 0|1> [warmup]
// Loads bench/<dir>/<bench>.js, awaits run({ n, quick, warmup }) and prints
// "RESULT <number|null>" (plus "NOTE <text>" if the module exports `note`),
// or "ERROR <message>". Exits explicitly so open handles cannot hang the suite.
const path = require('node:path');

async function main() {
  const [dir, bench, nText, quickText, warmupText = '0'] = process.argv.slice(2);
  const file = path.join(__dirname, '..', dir, `${bench}.js`);
  const mod = require(file);
  if (typeof mod.run !== 'function') throw new Error(`${path.relative(process.cwd(), file)} does not export run()`);
  const value = await mod.run({ n: Number(nText), quick: quickText === '1', warmup: Number(warmupText) });
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) {
    throw new Error(`run() returned ${String(value)}, expected a finite number or null`);
  }
  if (typeof mod.note === 'string') console.log(`NOTE ${mod.note}`);
  console.log(`RESULT ${value === null ? 'null' : value}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    const message = (err && err.stack ? err.stack.split('\n')[0] : String(err)).replace(/\s+/g, ' ');
    console.log(`ERROR ${message}`);
    process.exit(1);
  },
);

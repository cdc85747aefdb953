#!/usr/bin/env node
/**
 * `npm run fuzz [-- --cases N --seed S --from I --target frame|handshake|term|control]`:
 * the decoder fuzz suite (test/fuzz/decoders.test.ts) with 100,000 cases per decoder
 * by default, through jest (so it runs the TypeScript sources as `npm test` does).
 * Prints each decoder's cases/s, outcomes and failures; exits non-zero on a failure.
 * The environment variables GROVE_FUZZ_CASES, GROVE_FUZZ_SEED, GROVE_FUZZ_FROM and
 * GROVE_FUZZ_TARGET do the same as the options. A random seed: `--seed random`.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
const names = { cases: 'GROVE_FUZZ_CASES', seed: 'GROVE_FUZZ_SEED', from: 'GROVE_FUZZ_FROM', target: 'GROVE_FUZZ_TARGET' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const m = /^--(cases|seed|from|target)(?:=(.*))?$/.exec(args[i]);
  if (m === null) {
    console.error(`fuzz: unknown argument ${args[i]} (use --cases N, --seed S, --from I, --target NAME)`);
    process.exit(2);
  }
  env[names[m[1]]] = m[2] ?? args[++i];
}
env.GROVE_FUZZ_CASES ??= '100000';
if (env.GROVE_FUZZ_SEED === undefined || env.GROVE_FUZZ_SEED === 'random') env.GROVE_FUZZ_SEED = String((Math.random() * 2 ** 32) >>> 0);
for (const k of ['GROVE_FUZZ_CASES', 'GROVE_FUZZ_SEED', 'GROVE_FUZZ_FROM']) {
  if (env[k] !== undefined && !/^\d+$/.test(env[k])) {
    console.error(`fuzz: ${k} must be a whole number, got ${env[k]}`);
    process.exit(2);
  }
}
console.log(`fuzz: ${env.GROVE_FUZZ_CASES} cases per decoder, seed ${env.GROVE_FUZZ_SEED}${env.GROVE_FUZZ_TARGET ? `, only ${env.GROVE_FUZZ_TARGET}` : ''}`);
const root = path.join(__dirname, '..', '..');
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const r = spawnSync(process.execPath, [jest, '--rootDir', root, '--testTimeout', '86400000', '--verbose', path.join('test', 'fuzz', 'decoders.test.ts')], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);

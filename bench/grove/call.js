'use strict';
// Grove call: N sequential GenServer calls `ping` -> 'pong' from a process,
// with the default 5 s timeout (as gen_server:call/2). `warmup` calls first,
// not timed, as on every side.
const { BenchGs, callRate } = require('./support');

module.exports = { run: (opts) => callRate(BenchGs, opts) };

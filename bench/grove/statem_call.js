'use strict';
// Grove statem_call: N sequential GenStateMachine calls `ping` -> 'pong' from a
// process, through the machine's typed client, with the default 5 s timeout (as
// gen_statem:call/2). The machine (BenchStatem, bench/erlang/bench_statem.erl's
// twin) answers in its one state with a reply action. `warmup` calls first, not
// timed, as on every side.
const { BenchStatem, callRate } = require('./support');

module.exports = { run: (opts) => callRate(BenchStatem, opts) };

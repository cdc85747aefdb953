'use strict';
// Grove statem_call: N sequential GenStateMachine calls `ping` -> 'pong' from a
// process, through the machine's typed client, with no call timeout: that is
// gen_statem:call/2's default (`infinity`), which the Erlang side uses. The machine
// (BenchStatem, bench/erlang/bench_statem.erl's twin) answers in its one state
// with a reply action. `warmup` calls first, not timed, as on every side.
const { BenchStatem, callRate } = require('./support');

module.exports = { run: (opts) => callRate(BenchStatem, opts, 'infinity') };

'use strict';
// Shared Grove-side pieces: bench_gs as a GenServer (the same server as
// bench/erlang/bench_gs.erl) and a one_for_one supervisor around it. Plain
// JavaScript, so decorators are applied by hand.
const { GenServer, Supervisor, supervisor, Call, Cast } = require('@grove/core');

class BenchGs extends GenServer {
  init(notify) {
    this.n = 0;
    // The restart benchmark's supervisor passes a function that hears of each start.
    if (typeof notify === 'function') notify(this.self);
  }
  ping() {
    return 'pong';
  }
  msg() {
    this.n++;
  }
  count() {
    return this.n;
  }
}
Call()(BenchGs.prototype, 'ping', Object.getOwnPropertyDescriptor(BenchGs.prototype, 'ping'));
Call()(BenchGs.prototype, 'count', Object.getOwnPropertyDescriptor(BenchGs.prototype, 'count'));
Cast()(BenchGs.prototype, 'msg', Object.getOwnPropertyDescriptor(BenchGs.prototype, 'msg'));

class BenchSup extends Supervisor {
  children(notify) {
    return [BenchGs.childSpec(notify, { id: 'gs', restart: 'permanent', shutdown: 'brutal_kill' })];
  }
}
supervisor({ strategy: 'one_for_one', intensity: 1_000_000, periodMs: 1000 })(BenchSup);

module.exports = { BenchGs, BenchSup };

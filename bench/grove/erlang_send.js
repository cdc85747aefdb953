'use strict';
// Grove erlang_send: N sends `{msg, I}` from a Grove process to the Erlang node's
// registered counting process (`{sink, B}`), then `{count, Self}`; the clock stops when
// its answer says N arrived ({sink, B} ! {msg, I} in bench_remote.erl). The producer
// yields every SLICE sends, as in remote_send.js.
const { atom, tuple, isTuple } = require('@grove/distribution');
const { SLICE } = require('./support');
const { withErlangPeer } = require('./erlang_support');

async function run({ n }) {
  return withErlangPeer(async (ctx, erlNode) => {
    const sink = ['sink', erlNode];
    const msg = atom('msg');
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      ctx.send(sink, tuple(msg, i));
      if (i % SLICE === SLICE - 1) await ctx.yield();
    }
    ctx.send(sink, tuple(atom('count'), ctx.self));
    const reply = await ctx.receive((m) => isTuple(m, 'count'));
    const ms = performance.now() - t0;
    if (reply.elements[1] !== n) throw new Error(`sink counted ${reply.elements[1]}, expected ${n}`);
    return (n / ms) * 1000;
  });
}

module.exports = { run };

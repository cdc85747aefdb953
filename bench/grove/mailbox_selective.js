'use strict';
// Grove mailbox_selective: a process holds 1,000 queued messages that no receive
// matches (`['junk', i]`), then N times sends itself `['match', i]` and takes it
// with a selective receive that has to pass over the 1,000, as
// `self() ! {match, I}, receive {match, I} -> ... end` in bench_local.erl.
const { Node } = require('@grove/core');

const JUNK = 1000;

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    for (let i = 0; i < JUNK; i++) ctx.send(ctx.self, ['junk', i]);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      ctx.send(ctx.self, ['match', i]);
      await ctx.receive((m) => m[0] === 'match' && m[1] === i);
    }
    const ms = performance.now() - t0;
    if (ctx.mailboxLength !== JUNK) throw new Error(`expected ${JUNK} messages left, have ${ctx.mailboxLength}`);
    return (n / ms) * 1000;
  });
}

module.exports = { run };

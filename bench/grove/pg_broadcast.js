'use strict';
// Grove pg_broadcast: a group of 1,000 members, 500 on this node and 500 on the
// peer (default pg scope on both); N times the broadcaster reads the group's
// members and sends `['b', i]` to each; until every member has counted N. Set-up
// (members joined and seen on both nodes) is not timed. As bench_remote.erl's
// pg_broadcast.
const pg = require('@grove/pg');
const { rpc } = require('@grove/distribution');
const { SLICE, startPgMembers } = require('./support');
const { withPeer } = require('./remote_support');

const PER_NODE = 500;

async function run({ n }) {
  return withPeer(async (ctx, client, peer) => {
    await pg.start(client.node);
    await startPgMembers(ctx, PER_NODE, ctx.self, n);
    await rpc.call(ctx, peer, 'bench', 'pgMembers', [PER_NODE, ctx.self, n]);
    while (pg.getMembers(ctx, 'bench').length < 2 * PER_NODE) await ctx.receive(() => false, 5);
    let sent = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      for (const pid of pg.getMembers(ctx, 'bench')) {
        ctx.send(pid, ['b', i]);
        if (++sent % SLICE === 0) await ctx.yield();
      }
    }
    for (let done = 0; done < 2 * PER_NODE; done++) await ctx.receive((m) => m === 'pg_done');
    return (n / (performance.now() - t0)) * 1000;
  });
}

module.exports = { run };

'use strict';
// Shared Grove-side pieces: bench_gs as a GenServer (the same server as
// bench/erlang/bench_gs.erl), a one_for_one supervisor around it, and the call
// and cast loops of the local and remote workloads. Plain JavaScript, so
// decorators are applied by hand.
const { Node, GenServer, GenStateMachine, Supervisor, supervisor, Call, Cast, State, isPid } = require('@grove/core');

// Sends between yields of a producer (Erlang preempts it after its reductions;
// the floors yield every 1024 sends too).
const SLICE = 1024;

class BenchGs extends GenServer {
  init(notify) {
    this.n = 0;
    // The restart benchmark's supervisor passes the benchmark process: it hears of
    // each start by a message, as bench_gs.erl's `Notify ! {gs_up, self()}`.
    if (isPid(notify)) this.ctx.send(notify, ['gs_up', this.self]);
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

/** bench_statem.erl's twin: in its one state, `ready`, a call `ping` gets `pong` by a reply action. */
class BenchStatem extends GenStateMachine {
  init() {
    return 'ready';
  }
  ready(ev) {
    if (ev.type === 'call' && ev.content === 'ping') return this.keepState(this.replyTo(ev.from, 'pong'));
    return undefined;
  }
}
State()(BenchStatem.prototype, 'ready', Object.getOwnPropertyDescriptor(BenchStatem.prototype, 'ready'));

class BenchSup extends Supervisor {
  children(notify) {
    return [BenchGs.childSpec(notify, { id: 'gs', restart: 'permanent', shutdown: 'brutal_kill' })];
  }
}
supervisor({ strategy: 'one_for_one', intensity: 1_000_000, periodMs: 1000 })(BenchSup);

/** n sequential calls `ping` through `client` (a BenchGs client), default timeout. */
async function calls(client, n) {
  for (let i = 0; i < n; i++) await client.call.ping();
}

/**
 * The call workloads: start `Server` (a GenServer or GenStateMachine class answering
 * `ping` with 'pong') from a process, make `warmup` calls untimed, then time `n`
 * sequential calls through its typed client with call timeout `timeoutMs`; calls per
 * second.
 */
function callRate(Server, { n, warmup }, timeoutMs = 5000) {
  const node = new Node({ checkMessages: false });
  return node.run(async (ctx) => {
    const c = Server.client(ctx, await Server.start(ctx), { timeoutMs });
    await calls(c, warmup);
    const t0 = performance.now();
    await calls(c, n);
    return (n / (performance.now() - t0)) * 1000;
  });
}

/**
 * N casts `['msg', i]` through `client` (a BenchGs client), yielding every SLICE,
 * then one call that returns the count; the rate from the first cast until that
 * call returns N. Erlang casts `{msg, I}` and the floor `{tag: 'msg', i}`: the
 * request carries `i` here too, so every side allocates one request per cast.
 */
async function castThenCount(ctx, client, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    client.cast.msg(i);
    if (i % SLICE === SLICE - 1) await ctx.yield();
  }
  const count = await client.withTimeout('infinity').call.count();
  const ms = performance.now() - t0;
  if (count !== n) throw new Error(`server counted ${count}, expected ${n}`);
  return (n / ms) * 1000;
}

/**
 * pg_broadcast's members on one node: `count` processes that join group 'bench' of
 * the default scope and count `['b', i]` broadcasts; each sends 'pg_done' to
 * `reportTo` when it has counted `n`. `from` is a process context of that node.
 */
async function startPgMembers(from, count, reportTo, n) {
  const pg = require('@grove/pg');
  const pids = [];
  for (let k = 0; k < count; k++) {
    let seen = 0;
    pids.push(from.node.spawnLoop((_m, ctx) => {
      if (++seen === n) ctx.send(reportTo, 'pg_done');
    }));
  }
  await pg.join(from, 'bench', pids);
  return pids.length;
}

/**
 * What the peer node of the remote workloads runs (bench_remote.erl's server): a
 * registered `bench_gs`, a registered counting process `sink` (`['msg', i]` counts,
 * `['count', from]` answers `['count', n]`), the default pg scope, and the rpc module
 * `bench` (`echo(x)`, `pgMembers(count, reportTo, n)`). `d` is a distributed node.
 */
async function serveBench(d) {
  const pg = require('@grove/pg');
  const { rpc } = require('@grove/distribution');
  const node = d.node;
  await BenchGs.start(node, undefined, { name: 'bench_gs' });
  await pg.start(node);
  rpc.expose(d, 'bench', {
    echo: (x) => x,
    pgMembers(count, reportTo, n) {
      return startPgMembers(this, count, reportTo, n);
    },
  });
  let count = 0;
  // GROVE_BENCH_BACKLOG=1: print the sink's mailbox length every 65,536 messages (stderr).
  const backlog = process.env.GROVE_BENCH_BACKLOG === '1';
  node.spawnLoop(
    (m, ctx) => {
      if (m[0] === 'msg') {
        if ((++count & 0xffff) === 0 && backlog) process.stderr.write(`sink: ${count} counted, ${ctx.mailboxLength} waiting\n`);
      } else if (m[0] === 'count') ctx.send(m[1], ['count', count]);
    },
    { name: 'sink' },
  );
}

module.exports = { SLICE, BenchGs, BenchStatem, BenchSup, calls, callRate, castThenCount, startPgMembers, serveBench };

/**
 * The boss node: the supervision tree of pool.ts and the dispatcher. It runs until
 * every job is done, prints a summary and exits.
 *
 *   npx grove run --name boss@127.0.0.1 --cookie work examples/dispatcher/dist/boss.js \
 *     [--jobs 24] [--nodes 3] [--workers 2] [--stay]
 *
 * With --stay it stays up after the summary (workers still supervised, worker nodes
 * still welcome) until stopped (Ctrl-C), for an observer to look at.
 */
import { Supervisor, supervisor, type ChildSpec, type Node } from '@grove/core';
import { Dispatcher, type DispatcherArgs } from './dispatcher';
import { DISPATCHER } from './job';
import { Pools } from './pool';

/** Pools first, then the dispatcher (which starts pools in it); one_for_all: neither works without the other. */
@supervisor({ strategy: 'one_for_all', intensity: 3, periodMs: 5000 })
class BossSupervisor extends Supervisor<DispatcherArgs> {
  children(args: DispatcherArgs): ChildSpec[] {
    return [Pools.childSpec(undefined, { name: 'pools' }), Dispatcher.childSpec(args, { name: DISPATCHER })];
  }
}

export async function main(node: Node, args: string[]): Promise<number> {
  const opts: DispatcherArgs = { jobs: number(args, '--jobs', 24), nodes: number(args, '--nodes', 3), workersPerNode: number(args, '--workers', 2) };
  await BossSupervisor.start(node, opts, { name: 'boss_sup' });
  const summary = await Dispatcher.client(node, DISPATCHER, { timeoutMs: 'infinity' }).call.wait();
  const n = opts.jobs;
  const expected = (n * (n + 1) * (2 * n + 1)) / 6; // 1² + 2² + ... + n²
  const byNode = Object.entries(summary.byNode).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`all ${summary.jobs} jobs done (${byNode}); ${summary.redone} redone after a worker died`);
  console.log(`sum of results ${summary.sum}, expected ${expected}: ${summary.sum === expected ? 'every job counted once' : 'WRONG'}`);
  if (args.includes('--stay')) {
    console.log('staying up (--stay): Ctrl-C to stop');
    await node.run((ctx) => ctx.receive(() => false));
  }
  return summary.sum === expected ? 0 : 1;
}

function number(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} takes a positive integer, got ${args[i + 1]}`);
  return v;
}

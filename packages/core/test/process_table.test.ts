/**
 * The process table under churn: most processes die, a few live on among them
 * (their pages of ids empty out and are dropped, the survivors move), and every
 * survivor stays reachable by pid, listed, counted and killed by halt.
 */
import { Node, Pid, type ProcessContext } from '@grove/core';

function idle(msg: unknown, ctx: ProcessContext): void {
  if (msg === 'stop') ctx.exit('normal');
}

/** Spawns `n` idle processes, then kills all but every `keepEvery`-th; returns the survivors. */
function churn(node: Node, n: number, keepEvery: number): Pid[] {
  const pids: Pid[] = [];
  for (let i = 0; i < n; i++) pids.push(node.spawnLoop(idle));
  const kept = pids.filter((_, i) => i % keepEvery === 0);
  for (let i = 0; i < n; i++) if (i % keepEvery !== 0) node.exit(pids[i]!, 'kill');
  return kept;
}

describe('the process table', () => {
  let node: Node;
  beforeEach(() => {
    node = new Node();
  });
  afterEach(() => node.halt());

  it('keeps scattered survivors of many dead processes alive, listed in spawn order, and reachable by message', async () => {
    const kept = churn(node, 20_000, 97);
    await node.run(async (ctx) => {
      await ctx.yield();
    });
    expect(node.processCount).toBe(kept.length + 1); // + the node's own process (exits from outside)
    expect(node.processes().filter((p) => kept.some((k) => k.equals(p)))).toEqual(kept);
    const ids = node.processes().map((p) => p.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const pid of kept) expect(node.isAlive(pid)).toBe(true);
    // Spawning goes on after the churn; the old survivors still take messages.
    const late = churn(node, 5_000, 1);
    for (const pid of [...kept, ...late]) node.send(pid, 'stop');
    await node.run(async (ctx) => {
      await ctx.yield();
    });
    expect(node.processCount).toBe(1);
  });

  it('ends every survivor on halt, wherever the table keeps it', () => {
    const kept = churn(node, 10_000, 50);
    node.halt();
    expect(node.processCount).toBe(0);
    for (const pid of kept) expect(node.isAlive(pid)).toBe(false);
  });

  it('finds no process for pids whose ids no process has (fractional, negative, huge, not yet handed out)', () => {
    const pid = node.spawnLoop(idle);
    for (const id of [pid.id + 0.5, -pid.id, 2 ** 40 + pid.id, 2 ** 32 + pid.id, pid.id + 1, Number.NaN]) {
      expect(node.isAlive(new Pid(node.name, id, 0, node.creation))).toBe(false);
    }
    expect(node.isAlive(new Pid(node.name, pid.id, 0, node.creation))).toBe(true);
  });
});

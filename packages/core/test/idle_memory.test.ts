/**
 * Memory per idle process: a million idle processes should fit in a few hundred MB
 * (bench `spawn_bytes`, `idle_1m`). The heap a process holds is deterministic (V8
 * object sizes, no timing), so a budget can be asserted: the Process object, its Pid
 * and its process-table entry, read as the heap's growth after forced collections.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GenServer, isDownMessage, Node, type DownMessage, type ProcessContext } from '@grove/core';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function idle(msg: unknown, ctx: ProcessContext): void {
  if (msg === 'stop') ctx.exit('normal');
}

class Idle extends GenServer {
  override init(): void {}
}

/**
 * Heap bytes per process for `n` processes that `spawn` starts on a fresh node, after
 * one turn. The node's creation is past the small integers (as half of the random
 * ones are): every pid must share the node's one number for it, not hold a copy.
 */
async function bytesPerProcess(n: number, spawn: (node: Node) => void | Promise<void>): Promise<number> {
  const node = new Node({ checkMessages: false, creation: 0xfffffff0 });
  const before = heapUsed();
  for (let i = 0; i < n; i++) await spawn(node);
  await new Promise((r) => setImmediate(r));
  const after = heapUsed();
  expect(node.processCount).toBeGreaterThanOrEqual(n);
  node.halt();
  return (after - before) / n;
}

describe('memory per idle process', () => {
  it('holds at most 200 bytes of heap for an idle handler process (process, pid and table entry)', async () => {
    expect(await bytesPerProcess(50_000, (node) => {
      node.spawnLoop(idle);
    })).toBeLessThanOrEqual(200);
  });

  it('keeps nothing of its start handshake in an idle GenServer (at most 480 bytes with its server state)', async () => {
    const perServer = await bytesPerProcess(10_000, async (node) => {
      await Idle.start(node);
    });
    // + the node's own process, the starter: spread over the servers.
    expect(perServer).toBeLessThanOrEqual(480);
  });

  it('monitors a process again after its last monitor went, and counts its monitors', async () => {
    const node = new Node();
    try {
      const target = node.spawnLoop(idle);
      await node.run(async (ctx) => {
        const first = ctx.monitor(target);
        expect(node.processInfo(target)?.monitoredBy).toBe(1);
        ctx.demonitor(first);
        expect(node.processInfo(target)?.monitoredBy).toBe(0);
        const second = ctx.monitor(target);
        expect(node.processInfo(target)?.monitoredBy).toBe(1);
        ctx.send(target, 'stop');
        const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, second));
        expect(down.reason).toBe('normal');
      });
    } finally {
      node.halt();
    }
  });
});

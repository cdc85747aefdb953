/**
 * Memory per idle process: a million idle processes should fit in a few hundred MB
 * (bench `spawn_bytes`, `idle_1m`). The heap a process holds is deterministic (V8
 * object sizes, no timing), so a budget can be asserted: the Process object, its Pid
 * and its process-table entry, read as the heap's growth after forced collections.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Node, type ProcessContext } from '@grove/core';

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

/** Heap bytes per process for `n` idle handler processes on a fresh node (after one turn, so body processes reached their receive). */
async function bytesPerProcess(n: number, spawn: (node: Node) => void): Promise<number> {
  const node = new Node({ checkMessages: false });
  const before = heapUsed();
  for (let i = 0; i < n; i++) spawn(node);
  await new Promise((r) => setImmediate(r));
  const after = heapUsed();
  expect(node.processCount).toBe(n);
  node.halt();
  return (after - before) / n;
}

describe('memory per idle process', () => {
  it('holds at most 200 bytes of heap for an idle handler process (process, pid and table entry)', async () => {
    expect(await bytesPerProcess(50_000, (node) => node.spawnLoop(idle))).toBeLessThanOrEqual(200);
  });
});
